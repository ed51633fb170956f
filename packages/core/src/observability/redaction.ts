/**
 * Redaction of secrets and personal data from refined log documents, each by a documented rule.
 * `redactionRules` lists them as data (the README's table comes from it); each rule says what it
 * replaces, with what, and what it must leave alone. Two ways a rule applies:
 *   - by key: a JSON field whose name says what it holds (`password`, `pickupAddress`, `lat`...) is
 *     replaced whole, or coarsened for coordinates, whatever its value looks like;
 *   - by text: every string (messages, stacks, paths, values of other keys) is searched for the
 *     shapes below. Text rules are heuristics: they are written to miss little while leaving ids,
 *     UUIDs, versions, durations, ISO timestamps, IPs and ports intact (the tests hold both sides).
 * Rules run in the order listed: tokens first (a JWT must not be half-read as something else),
 * then e-mails, coordinates, phone numbers and addresses.
 */
export * as Redaction from "./redaction.js";

export interface RedactionRule {
  readonly name: string;
  readonly appliesTo: "keys" | "text";
  readonly replaces: string;
  readonly with: string;
  /** What looks close but must stay intact. */
  readonly keeps: string;
}

export const redactionRules: readonly RedactionRule[] = [
  {
    name: "secret-keys",
    appliesTo: "keys",
    replaces: "the value of a key named authorization, cookie, api key, password, passwd, or containing secret, or ending in token (accessToken, id_token...)",
    with: "[REDACTED]",
    keeps: "keys that merely mention a token (tokenType, tokenCount)",
  },
  {
    name: "bearer-tokens",
    appliesTo: "text",
    replaces: "`Bearer <credential>` / `Basic <credential>`, and `token=`, `password=`, `secret=`, `api_key=` values in text or query strings",
    with: "Bearer [REDACTED]",
    keeps: "the words bearer/basic without a credential after them",
  },
  {
    name: "jwts",
    appliesTo: "text",
    replaces: "JWT-shaped strings: `eyJ…` base64url, a dot, base64url, a dot, optional signature",
    with: "[REDACTED:jwt]",
    keeps: "other base64 and dotted identifiers",
  },
  {
    name: "emails",
    appliesTo: "text",
    replaces: "e-mail addresses (local@domain.tld)",
    with: "[REDACTED:email]",
    keeps: "`@` in scoped package names (@haul/core) and decorators",
  },
  {
    name: "coordinates",
    appliesTo: "keys",
    replaces: "numbers under keys lat, latitude, lon, lng, longitude",
    with: "the number rounded to 2 decimals (~1 km)",
    keeps: "other numeric fields",
  },
  {
    name: "coordinate-pairs",
    appliesTo: "text",
    replaces: "`lat, lon` pairs whose both numbers have 4+ decimals and fit latitude/longitude ranges (52.520812, 13.409411), and `lat=`/`lon:` followed by a number with 3+ decimals",
    with: "each number rounded to 2 decimals",
    keeps: "durations (12.5 ms), versions (1.2.3), IPs, pairs with fewer decimals",
  },
  {
    name: "phone-keys",
    appliesTo: "keys",
    replaces: "the value of a key containing phone or mobile, or named tel or fax",
    with: "[REDACTED:phone]",
    keeps: "other keys",
  },
  {
    name: "phone-numbers",
    appliesTo: "text",
    replaces: "international numbers (+ country code, 8 to 15 digits with spaces, dots, dashes or parentheses), national numbers with a trunk 0 and a separator after the area code (030 1234567, (030) 123-4567, 0171/1234567; 7 to 15 digits), and North American ones (555-123-4567, (555) 123-4567)",
    with: "[REDACTED:phone]",
    keeps: "UUIDs, ISO timestamps and dates (01/02/2026), epoch numbers, ids, durations, ports",
  },
  {
    name: "address-keys",
    appliesTo: "keys",
    replaces: "the value (text or object) of a key ending in address (address, pickupAddress, dropoffAddress...), or named street or addressLine…",
    with: "[REDACTED:address]",
    keeps: "other keys (ipAddress is replaced as well: an IP is personal data too)",
  },
  {
    name: "street-addresses",
    appliesTo: "text",
    replaces: "a house number then 1 to 3 capitalised words and a street type (12 Main Street, 350 Fifth Ave), or a capitalised word ending in straße/strasse/str./platz/allee/weg/gasse/ufer then a house number (Hauptstraße 12, Karl-Marx-Allee 90b)",
    with: "[REDACTED:address]",
    keeps: "counts before lowercase words (3 retries on the way), route names, free text without a street type",
  },
];

const secret = "[REDACTED]";
const jwtMark = "[REDACTED:jwt]";
const emailMark = "[REDACTED:email]";
const phoneMark = "[REDACTED:phone]";
const addressMark = "[REDACTED:address]";

type KeyRule = "secret" | "phone" | "address" | "coordinate";

const coordinateKeys = new Set(["lat", "latitude", "lon", "lng", "longitude"]);

/** Which by-key rule a JSON key falls under, if any; memoised (logs repeat the same keys). */
const keyRules = new Map<string, KeyRule | null>();
function keyRuleOf(key: string): KeyRule | undefined {
  let rule = keyRules.get(key);
  if (rule === undefined) {
    const name = key.toLowerCase().replace(/[-_\s]/g, "");
    if (coordinateKeys.has(name)) rule = "coordinate";
    else if (name === "authorization" || name === "proxyauthorization" || name.includes("cookie") || name === "apikey" || name === "xapikey"
      || name.includes("password") || name === "passwd" || name.includes("secret") || name.endsWith("token")) rule = "secret";
    else if (name.includes("phone") || name.includes("mobile") || name === "tel" || name === "fax") rule = "phone";
    else if (name.endsWith("address") || name === "street" || name.startsWith("addressline")) rule = "address";
    else rule = null;
    if (keyRules.size < 10_000) keyRules.set(key, rule);
  }
  return rule ?? undefined;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

const bearerPattern = /\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/gi;
const secretAssignmentPattern = /\b((?:access_|id_|refresh_)?token|password|passwd|secret|client_secret|api_?key)(["']?\s*[=:]\s*["']?)([^&\s"',;}]+)/gi;
const jwtPattern = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const emailPattern = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const coordinatePairPattern = /(?<![\w.])(-?\d{1,3}\.\d{4,})(\s*,\s*)(-?\d{1,3}\.\d{4,})(?![\d.])/g;
const coordinateAssignmentPattern = /\b(lat|latitude|lon|lng|longitude)(["']?\s*[:=]\s*)(-?\d{1,3}\.\d{3,})/gi;
const internationalPhonePattern = /(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,5}\)?){1,6}(?!\w)/g;
const nationalPhonePattern = /(?<![\w.:/+-])(?:\(0\d{1,5}\)|0\d{1,5})(?:[ /-]?\d{2,}){1,4}(?![\w.:/-])/g;
const northAmericanPhonePattern = /(?<![\w.-])(?:\(\d{3}\) ?|\d{3}-)\d{3}-\d{4}(?![\w.-])/g;
const datePattern = /^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$/;
const streetTypes = "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|Terrace|Square|Sq";
const numberFirstAddressPattern = new RegExp(`\\b\\d{1,5}[A-Za-z]?\\s+(?:[A-Z][\\p{L}'.-]*\\s+){1,3}(?:${streetTypes})\\b\\.?`, "gu");
const nameFirstAddressPattern = /(?<![\p{L}-])[A-ZÄÖÜ][\p{L}-]*(?:[Ss]tra(?:ß|ss)e|[Ss]tr\.|[Pp]latz|[Aa]llee|[Ww]eg|[Gg]asse|[Uu]fer)\s+\d{1,4}(?:\s?[a-z])?(?![\p{L}\d])/gu;

const digitCount = (text: string) => text.replace(/\D/g, "").length;

/** `text` with every text rule applied. */
export function redactText(text: string): string {
  let result = text;
  if (/bearer|basic/i.test(result)) result = result.replace(bearerPattern, (_, scheme: string) => `${scheme} ${secret}`);
  if (/token|passw|secret|api_?key/i.test(result)) result = result.replace(secretAssignmentPattern, (_, key: string, separator: string) => `${key}${separator}${secret}`);
  if (result.includes("eyJ")) result = result.replace(jwtPattern, jwtMark);
  if (result.includes("@")) result = result.replace(emailPattern, emailMark);
  if (!/\d/.test(result)) return result;
  if (result.includes(",")) {
    result = result.replace(coordinatePairPattern, (match, lat: string, separator: string, lon: string) =>
      Math.abs(Number(lat)) <= 90 && Math.abs(Number(lon)) <= 180 ? `${round2(Number(lat))}${separator}${round2(Number(lon))}` : match,
    );
  }
  if (/la|lo|ln/i.test(result)) result = result.replace(coordinateAssignmentPattern, (_, key: string, separator: string, value: string) => `${key}${separator}${round2(Number(value))}`);
  if (result.includes("+")) result = result.replace(internationalPhonePattern, (match) => (digitCount(match) >= 8 && digitCount(match) <= 15 ? phoneMark : match));
  if (/(?:^|[^\w.:/+-])\(?0\d/.test(result)) {
    result = result.replace(nationalPhonePattern, (match) => {
      const digits = digitCount(match);
      // A separator after the area code is what tells a number from an id of digits.
      const separated = /^\(0\d{1,5}\)|^0\d{1,5}[ /-]/.test(match);
      return separated && digits >= 7 && digits <= 15 && !datePattern.test(match) ? phoneMark : match;
    });
  }
  if (result.includes("-") || result.includes("(")) result = result.replace(northAmericanPhonePattern, phoneMark);
  result = result.replace(numberFirstAddressPattern, addressMark);
  result = result.replace(nameFirstAddressPattern, addressMark);
  return result;
}

/** `value` under `key` with the key rules, then (for strings inside) the text rules. */
export function redactField(key: string, value: unknown): unknown {
  const rule = keyRuleOf(key);
  if (rule === "secret") return value === null || value === undefined || value === "" ? value : secret;
  if (rule === "phone") return value === null || value === undefined || value === "" ? value : phoneMark;
  if (rule === "address") return value === null || value === undefined || value === "" ? value : addressMark;
  if (rule === "coordinate") {
    if (typeof value === "number") return round2(value);
    if (typeof value === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return String(round2(Number(value)));
  }
  return redactValue(value);
}

/** Any JSON value with every rule applied to its keys and strings. */
export function redactValue(value: unknown): unknown {
  if (typeof value === "string") return redactText(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === "object") {
    const redacted: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) redacted[key] = redactField(key, inner);
    return redacted;
  }
  return value;
}
