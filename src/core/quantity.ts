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
