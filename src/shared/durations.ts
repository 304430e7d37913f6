/** An ISO 8601 duration of days, hours, minutes and seconds (PT5M, PT1H, P1D), as Azure writes them. */
export const isoDurationPattern = /^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/;

/** The duration in milliseconds; 0 for text that is not such a duration. */
export function isoDurationMs(iso: string): number {
  const [, d = "0", h = "0", m = "0", s = "0"] =
    /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso) ?? [];
  return (((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(s)) * 1000;
}
