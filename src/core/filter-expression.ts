/** One filter expression split the way FlyteAdmin's pattern splits it. */
export interface ExpressionParts {
  readonly fn: string;
  readonly field: string;
  readonly value: string;
}

const NEWLINE = 0x0a;
const OPEN = 0x28; // (
const CLOSE = 0x29; // )
const COMMA = 0x2c; // ,

/** RE2's `\s`: tab, newline, form feed, carriage return and space, nothing else. */
const isSpace = (c: number) => c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0x20;

/**
 * Splits `fn(field,value)` exactly as FlyteAdmin's Go regular expression
 * `(.+)\((.+),\s?(.+)\)` does with FindStringSubmatch (unanchored, each group
 * greedy, leftmost-first; `.` is any character but a newline, `\s` is RE2's),
 * in one pass over the text instead of by backtracking, which takes
 * exponential-looking time on inputs such as "(,(,(,(,...". Undefined when the
 * pattern does not match.
 *
 * What that pattern means, worked out so it can be computed directly:
 * - a match never spans a newline except as the optional space, and the
 *   leftmost match starts at the beginning of the first line that holds one
 *   (the function group can always grow back to the line start);
 * - in that line the function group takes everything up to the LAST `(` that
 *   is followed, at least two characters later, by a comma that can start a
 *   valid tail; the field group takes everything up to the LAST such comma;
 * - a valid tail after the comma is: one optional space, then at least one
 *   character and a `)` on the same line; the space is taken when what follows
 *   it still leaves a value, and the value runs to the LAST `)` of its line,
 *   so text after that `)` is ignored.
 */
export function splitExpression(text: string): ExpressionParts | undefined {
  const n = text.length;
  // lastClose[i]: index of the last `)` in the line holding i (a line's
  // newline counts as its end), or -1.
  const lastClose = new Int32Array(n + 1);
  for (let start = 0; start <= n; ) {
    let end = start;
    let close = -1;
    for (; end < n && text.charCodeAt(end) !== NEWLINE; end++) if (text.charCodeAt(end) === CLOSE) close = end;
    lastClose.fill(close, start, end + 1);
    start = end + 1;
  }
  // A value can start at `a`: at least one character before a `)` on a.'s line.
  const valueAt = (a: number) => a < n && text.charCodeAt(a) !== NEWLINE && lastClose[a]! >= a + 1;
  const spaceTaken = (comma: number) => comma + 1 < n && isSpace(text.charCodeAt(comma + 1)) && valueAt(comma + 2);
  const tailAfter = (comma: number) => spaceTaken(comma) || valueAt(comma + 1);

  for (let start = 0; start < n; ) {
    let end = start;
    while (end < n && text.charCodeAt(end) !== NEWLINE) end++;
    const parts = splitLine(start, end);
    if (parts) return parts;
    start = end + 1;
  }
  return undefined;

  function splitLine(start: number, end: number): ExpressionParts | undefined {
    // The last comma with a valid tail; a smaller comma only narrows where `(` may be.
    let comma = end - 1;
    while (comma >= start && !(text.charCodeAt(comma) === COMMA && tailAfter(comma))) comma--;
    if (comma < start) return undefined;
    // The last `(` with a non-empty function before it and a non-empty field after it.
    let open = comma - 2;
    while (open > start && text.charCodeAt(open) !== OPEN) open--;
    if (open <= start) return undefined;
    const valueStart = comma + (spaceTaken(comma) ? 2 : 1);
    return {
      fn: text.slice(start, open),
      field: text.slice(open + 1, comma),
      value: text.slice(valueStart, lastClose[valueStart]!),
    };
  }
}
