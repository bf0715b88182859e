/** How long a summary may grow (propeller's MaxErrorMessageLength, what an event error may carry). */
export const MAX_SUMMARY_BYTES = 102_400;
const MORE = "... and many more.";

/** Indices as propeller's error collector prints them: runs of consecutive indices, `[0-2][5]`. */
export function indexRanges(indices: Iterable<number>): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  let out = "";
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out += sorted[i] === sorted[j] ? `[${sorted[i]}]` : `[${sorted[i]}-${sorted[j]}]`;
    i = j + 1;
  }
  return out;
}

/**
 * The failures of an array node's elements, one line per distinct message
 * (sorted) with the indices that failed with it: `[0-1][3]: <message>\n`
 * (propeller's errorcollector). Past `limit` bytes the rest is left out.
 */
export function errorSummary(failures: ReadonlyMap<number, string>, limit = MAX_SUMMARY_BYTES): string {
  const byMessage = new Map<string, number[]>();
  for (const [index, message] of failures) {
    const list = byMessage.get(message);
    if (list) list.push(index);
    else byMessage.set(message, [index]);
  }
  const room = limit - MORE.length;
  if (room < 0) return "";
  // Go sorts the messages as byte strings; UTF-16 order differs only outside the BMP.
  const messages = [...byMessage.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  let out = "";
  let bytes = 0;
  for (const message of messages) {
    const line = `${indexRanges(byMessage.get(message)!)}: ${message}\n`;
    out += line;
    bytes += Buffer.byteLength(line);
    if (bytes >= room) {
      out += MORE;
      break;
    }
  }
  return out;
}
