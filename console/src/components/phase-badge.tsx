import type { PhaseInfo } from "../lib/phases.js";

/** A phase as text and colour; the text alone carries the meaning (colour is never the only cue). */
export function PhaseBadge({ phase }: { phase: PhaseInfo }) {
  return <span className={`phase ${phase.tone}`}>{phase.label}</span>;
}
