/**
 * Kubernetes resource quantities ("500m", "1Gi", "2", "1e3"), as FlyteAdmin
 * parses task resources (k8s.io/apimachinery resource.ParseQuantity). Only
 * what validation needs: the value in base units, and Kubernetes' error text.
 */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/**
 * Real quantities are a few characters ("500m", "1.5Gi", "1e3"); a bound keeps
 * every step below (and the exact arithmetic of canonicalQuantity) small.
 */
export const MAX_QUANTITY_LENGTH = 64;
/** Beyond this many powers of ten no quantity is meaningful, and exact arithmetic on it would not be cheap. */
const MAX_EXPONENT = 1000;

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const SUFFIX_LETTERS = new Set("eEinumkKMGTP");

/**
 * Splits a quantity as Kubernetes' documented pattern
 * `^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$` does, scanning once: the
 * number is the longest run of digits and dots (giving digits back to the
 * suffix can never help, since the suffix would then have to end there), and
 * the rest must be suffix letters, an optional sign and digits.
 */
function splitQuantity(text: string): { number: string; suffix: string } | undefined {
  let i = text[0] === "+" || text[0] === "-" ? 1 : 0;
  const digitsFrom = i;
  while (i < text.length && (isDigit(text[i]) || text[i] === ".")) i++;
  if (i === digitsFrom) return undefined;
  const number = text.slice(0, i);
  const suffixFrom = i;
  while (i < text.length && SUFFIX_LETTERS.has(text[i]!)) i++;
  if (text[i] === "+" || text[i] === "-") i++;
  while (isDigit(text[i])) i++;
  return i === text.length ? { number, suffix: text.slice(suffixFrom) } : undefined;
}

/** `[+-]?(\d+\.?\d*|\.\d+)`: at least one digit and at most one dot. */
function isDecimal(number: string): boolean {
  const body = number.replace(/^[+-]/, "");
  const dot = body.indexOf(".");
  return /\d/.test(body) && (dot < 0 || body.indexOf(".", dot + 1) < 0);
}

/** `e` or `E` and a signed integer, or undefined. */
function exponentOf(suffix: string): number | undefined {
  if (suffix[0] !== "e" && suffix[0] !== "E") return undefined;
  const digits = suffix.slice(suffix[1] === "+" || suffix[1] === "-" ? 2 : 1);
  if (digits === "" || ![...digits].every(isDigit)) return undefined;
  return Number(suffix.slice(1));
}

/** The quantity in base units (cores, bytes, devices), or Kubernetes' parse error. */
export function parseQuantity(text: string): { value: number } | { error: string } {
  if (text.length > MAX_QUANTITY_LENGTH) return { error: `quantities are at most ${MAX_QUANTITY_LENGTH} characters long` };
  const parts = splitQuantity(text);
  if (!parts) return { error: QUANTITY_FORMAT_ERROR };
  const { number, suffix } = parts;
  if (!isDecimal(number)) return { error: "unable to parse numeric part of quantity" };
  let factor: number | undefined = BINARY[suffix] ?? DECIMAL[suffix];
  if (factor === undefined) {
    const exponent = exponentOf(suffix);
    if (exponent === undefined) return { error: "unable to parse quantity's suffix" };
    factor = 10 ** exponent;
  }
  return { value: Number(number) * factor };
}

/**
 * Quantity.Value(): the value rounded up to a whole unit. FlyteAdmin compares
 * resources this way, so 1500m CPU counts as 2.
 */
export const wholeUnits = (value: number) => Math.ceil(value - 1e-9);

const BINARY_SUFFIXES = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
const DECIMAL_SUFFIXES: Record<number, string> = { [-9]: "n", [-6]: "u", [-3]: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E" };

/**
 * Kubernetes' canonical text for a quantity (Quantity.String()), which
 * FlyteAdmin quotes in resource errors: `0.5` is `500m`, `1024Mi` is `1Gi`,
 * `1000` is `1k`. Binary quantities stay binary when whole and at least 1024;
 * everything else takes the largest decimal suffix with a whole mantissa.
 * Returns the text unchanged when it does not parse.
 */
export function canonicalQuantity(text: string): string {
  const parts = splitQuantity(text);
  if (!parts || "error" in parseQuantity(text)) return text;
  const { number, suffix } = parts;
  // The value as an exact fraction: numerator / 10^scale.
  const negative = number.startsWith("-");
  const [whole = "", frac = ""] = number.replace(/^[+-]/, "").split(".");
  let numerator = BigInt((whole || "0") + frac);
  let scale = frac.length;
  const exponent = exponentOf(suffix);
  if (exponent !== undefined && Math.abs(exponent) > MAX_EXPONENT) return text;
  const binary = BINARY_SUFFIXES.indexOf(suffix);
  if (binary > 0) numerator *= 1024n ** BigInt(binary);
  else if (exponent !== undefined) scale -= exponent;
  else scale -= Math.log10(DECIMAL[suffix] ?? 1);
  const sign = negative && numerator !== 0n ? "-" : "";
  const pow10 = (n: number) => 10n ** BigInt(n);
  // In base units when whole: numerator / 10^scale.
  const baseWhole = scale <= 0 ? numerator * pow10(-scale) : numerator % pow10(scale) === 0n ? numerator / pow10(scale) : undefined;
  if (binary > 0 && baseWhole !== undefined && baseWhole >= 1024n) {
    let k = 0;
    let v = baseWhole;
    while (k < 6 && v % 1024n === 0n) {
      v /= 1024n;
      k++;
    }
    return `${sign}${v}${BINARY_SUFFIXES[k]}`;
  }
  // Largest power of ten (a multiple of 3, from nano to exa) that leaves a whole mantissa.
  for (let e = 18; e >= -9; e -= 3) {
    const shift = scale + e; // value / 10^e = numerator / 10^(scale + e)
    const mantissa = shift <= 0 ? numerator * pow10(-shift) : numerator % pow10(shift) === 0n ? numerator / pow10(shift) : undefined;
    if (mantissa === undefined) continue;
    if (exponent !== undefined) return `${sign}${mantissa}${e === 0 ? "" : `e${e}`}`;
    return `${sign}${mantissa}${DECIMAL_SUFFIXES[e]}`;
  }
  return text; // finer than a nano: Kubernetes would round; keep what was given
}
