import { open } from "node:fs/promises";

/**
 * The last `lines` lines of a log file, read from at most its last `maxBytes` bytes (a task
 * may log gigabytes); "" when the file is missing or empty. Carriage returns (progress bars)
 * and trailing blank lines are dropped.
 */
export async function logTail(path: string, lines = 10, maxBytes = 8192): Promise<string> {
  let fh;
  try {
    fh = await open(path, "r");
  } catch {
    return "";
  }
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, maxBytes);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    let text = buf.toString("utf8");
    // Started mid-file: the first line is probably cut, and its first character may be too.
    if (len < size) text = text.slice(text.indexOf("\n") + 1);
    const all = text.split("\n").map((l) => {
      const line = l.replace(/\r+$/, "");
      return line.slice(line.lastIndexOf("\r") + 1).trimEnd();
    });
    while (all.length > 0 && all[all.length - 1] === "") all.pop();
    return all.slice(-lines).join("\n");
  } catch {
    return "";
  } finally {
    await fh.close();
  }
}
