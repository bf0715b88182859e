// Child for local-blob-store-kill.test.ts: overwrites one key forever with versions of
// `size` bytes, each filled with a single non-zero byte, so any torn mix is detectable.
import { createLocalBlobStore } from "../../src/blob/local-blob-store.js";

const [dir, key, sizeArg] = process.argv.slice(2);
if (!dir || !key || !sizeArg) throw new Error("usage: write-loop-child.ts <dir> <key> <size>");
const size = Number(sizeArg);
const store = createLocalBlobStore(dir);

process.stdout.write("start\n");
for (let version = 1; ; version++) {
  await store.put(key, Buffer.alloc(size, fillByte(version)));
  process.stdout.write(`wrote ${version}\n`);
}

function fillByte(version: number): number {
  return (version % 255) + 1;
}
