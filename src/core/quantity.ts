/**
 * Kubernetes resource quantities ("500m", "1Gi", "2", "1e3"), as FlyteAdmin
 * parses task resources (k8s.io/apimachinery resource.ParseQuantity). Only
 * what validation needs: the value in base units, and Kubernetes' error text.
 */

const FORMAT = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** The quantity in base units (cores, bytes, devices), or Kubernetes' parse error. */
export function parseQuantity(text: string): { value: number } | { error: string } {
  const m = FORMAT.exec(text.trim() === text ? text : "\u0000");
  if (!m) return { error: QUANTITY_FORMAT_ERROR };
  const [, number = "", suffix = ""] = m;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(number)) return { error: "unable to parse numeric part of quantity" };
  let factor: number | undefined = BINARY[suffix] ?? DECIMAL[suffix];
  if (factor === undefined) {
    const exp = /^[eE]([-+]?\d+)$/.exec(suffix);
    if (!exp) return { error: "unable to parse quantity's suffix" };
    factor = 10 ** Number(exp[1]);
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
  const m = FORMAT.exec(text);
  if (!m || "error" in parseQuantity(text)) return text;
  const [, number = "", suffix = ""] = m;
  // The value as an exact fraction: numerator / 10^scale.
  const negative = number.startsWith("-");
  const [whole = "", frac = ""] = number.replace(/^[+-]/, "").split(".");
  let numerator = BigInt((whole || "0") + frac);
  let scale = frac.length;
  const exponent = suffix.startsWith("e") || suffix.startsWith("E") ? Number(suffix.slice(1)) : undefined;
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
