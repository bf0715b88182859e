// Runs s3rver for the tests in its own process. s3rver encrypts ListObjectsV2 continuation
// tokens with DES, which Node 20's OpenSSL 3 refuses unless started with
// --openssl-legacy-provider; that flag cannot be set from inside the vitest worker.
import S3rver from "s3rver";

const directory = process.argv[2];
const bucket = process.argv[3];
if (!directory || !bucket) throw new Error("usage: s3-server-child.ts <directory> <bucket>");

const server = new S3rver({ address: "127.0.0.1", port: 0, directory, silent: true, configureBuckets: [{ name: bucket }] });
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);

// The parent holds our stdin open; when it goes away (even killed), so do we.
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
