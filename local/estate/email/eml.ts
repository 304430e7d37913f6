import { randomBytes } from "node:crypto";

/**
 * Renders an accepted email as an RFC 5322 message (.eml) a person can open in any mail client:
 * RFC 2047 encoded words for non-ASCII headers, quoted-printable UTF-8 text parts,
 * multipart/alternative for text + HTML, multipart/mixed when there are attachments.
 */

export interface MailAddress {
  address: string;
  displayName?: string | undefined;
}

export interface MailAttachment {
  name: string;
  contentType: string;
  contentInBase64: string;
}

export interface OutgoingMail {
  messageId: string;
  date: Date;
  from: MailAddress;
  to: MailAddress[];
  cc: MailAddress[];
  bcc: MailAddress[];
  replyTo: MailAddress[];
  subject: string;
  plainText?: string | undefined;
  html?: string | undefined;
  attachments: MailAttachment[];
  /** Extra headers (the ACS message's custom headers, and the estate's own trace headers). */
  headers: Record<string, string>;
}

const CRLF = "\r\n";

function isPrintableAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/**
 * RFC 2047 B-encoded words, each at most 75 characters, split on code points so no UTF-8 sequence
 * is cut; joined by folding whitespace.
 */
export function encodeWords(text: string): string {
  const words: string[] = [];
  let chunk = "";
  for (const char of text) {
    // 30 bytes of UTF-8 become 40 base64 characters, 52 with "=?UTF-8?B?" and "?=": short enough
    // that a header name and the first word stay within RFC 2047's 76-character lines.
    if (Buffer.byteLength(chunk + char) > 30) {
      words.push(chunk);
      chunk = "";
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, "utf8").toString("base64")}?=`).join(`${CRLF} `);
}

function headerText(text: string): string {
  const clean = text.replace(/[\r\n]+/g, " ");
  return isPrintableAscii(clean) ? clean : encodeWords(clean);
}

function formatAddress({ address, displayName }: MailAddress): string {
  const addr = address.replace(/[\r\n<>]/g, "");
  if (!displayName) return `<${addr}>`;
  const name = displayName.replace(/[\r\n]+/g, " ");
  if (!isPrintableAscii(name)) return `${encodeWords(name)} <${addr}>`;
  return `"${name.replace(/(["\\])/g, "\\$1")}" <${addr}>`;
}

function addressList(addresses: MailAddress[]): string {
  return addresses.map(formatAddress).join(`,${CRLF} `);
}

/** `Tue, 01 Apr 2025 06:00:00 +0000` */
export function rfc5322Date(date: Date): string {
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${days[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** Quoted-printable (RFC 2045) of UTF-8 text, with CRLF line ends and soft breaks before 76 columns. */
export function quotedPrintable(text: string): string {
  const lines = text.replace(/\r\n|\r|\n/g, "\n").split("\n");
  return lines
    .map((line) => {
      const bytes = Buffer.from(line, "utf8");
      const tokens: string[] = [];
      bytes.forEach((byte, index) => {
        const last = index === bytes.length - 1;
        const literal = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !last);
        tokens.push(
          literal ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, "0")}`,
        );
      });
      const out: string[] = [];
      let current = "";
      for (const token of tokens) {
        if (current.length + token.length > 75) {
          out.push(`${current}=`);
          current = "";
        }
        current += token;
      }
      out.push(current);
      return out.join(CRLF);
    })
    .join(CRLF);
}

function base64Lines(base64: string): string {
  return (base64.replace(/\s+/g, "").match(/.{1,76}/g) ?? []).join(CRLF);
}

function textPart(contentType: "text/plain" | "text/html", text: string): string {
  return [
    `Content-Type: ${contentType}; charset=utf-8`,
    "Content-Transfer-Encoding: quoted-printable",
    "",
    quotedPrintable(text),
  ].join(CRLF);
}

function attachmentPart(attachment: MailAttachment): string {
  const name = attachment.name.replace(/[\r\n"]/g, "");
  const filename = isPrintableAscii(name)
    ? `filename="${name}"`
    : `filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
  return [
    `Content-Type: ${attachment.contentType.replace(/[\r\n]/g, "")}`,
    "Content-Transfer-Encoding: base64",
    `Content-Disposition: attachment;${CRLF} ${filename}`,
    "",
    base64Lines(attachment.contentInBase64),
  ].join(CRLF);
}

function multipart(subtype: "alternative" | "mixed", parts: string[]): { header: string; body: string } {
  const boundary = `=_phoenix_${randomBytes(12).toString("hex")}`;
  const body = [...parts.map((p) => `--${boundary}${CRLF}${p}`), `--${boundary}--`].join(CRLF) + CRLF;
  return { header: `multipart/${subtype};${CRLF} boundary="${boundary}"`, body };
}

/** Splits a MIME part into its header lines and its body. */
function splitPart(part: string): { headers: string; body: string } {
  const split = part.indexOf(`${CRLF}${CRLF}`);
  return { headers: part.slice(0, split), body: part.slice(split + 4) };
}

export function renderEml(mail: OutgoingMail): string {
  const textParts: string[] = [];
  if (mail.plainText !== undefined) textParts.push(textPart("text/plain", mail.plainText));
  if (mail.html !== undefined) textParts.push(textPart("text/html", mail.html));
  if (textParts.length === 0) textParts.push(textPart("text/plain", ""));

  // The message's own entity: one text part, or text and HTML as alternatives.
  const alternative = textParts.length > 1 ? multipart("alternative", textParts) : undefined;
  const mainEntity = alternative
    ? `Content-Type: ${alternative.header}${CRLF}${CRLF}${alternative.body}`
    : (textParts[0] ?? "");
  const entity =
    mail.attachments.length > 0
      ? (() => {
          const mixed = multipart("mixed", [mainEntity, ...mail.attachments.map(attachmentPart)]);
          return `Content-Type: ${mixed.header}${CRLF}${CRLF}${mixed.body}`;
        })()
      : mainEntity;
  const { headers: contentHeaders, body } = splitPart(entity);

  const headers: string[] = [
    `From: ${formatAddress(mail.from)}`,
    `To: ${addressList(mail.to)}`,
    ...(mail.cc.length ? [`Cc: ${addressList(mail.cc)}`] : []),
    // Kept in the local copy so a reader can see who was blind-copied; a real MTA strips it.
    ...(mail.bcc.length ? [`Bcc: ${addressList(mail.bcc)}`] : []),
    ...(mail.replyTo.length ? [`Reply-To: ${addressList(mail.replyTo)}`] : []),
    `Subject: ${headerText(mail.subject)}`,
    `Date: ${rfc5322Date(mail.date)}`,
    `Message-ID: <${mail.messageId}>`,
    "MIME-Version: 1.0",
    ...Object.entries(mail.headers)
      .filter(([name]) => /^[!-9;-~]+$/.test(name))
      .map(([name, value]) => `${name}: ${headerText(value)}`),
    contentHeaders,
  ];
  return `${headers.join(CRLF)}${CRLF}${CRLF}${body}`;
}
