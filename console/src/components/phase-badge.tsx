import "./phase-badge.css";
import type { PhaseInfo } from "../lib/phases.js";

/** A phase as a coloured pill; the colour comes from the tone, the words carry the meaning. */
export function PhaseBadge({ phase }: { phase: PhaseInfo }) {
  return <span className={`phase phase-${phase.tone}`}>{phase.label}</span>;
}
