import { BinaryReader } from "@bufbuild/protobuf/wire";

/**
 * Decodes a google.rpc.Status (grpc-status-details-bin) by hand, so tests can
 * check what a gRPC client that knows nothing of connect receives.
 */
export function decodeStatus(bytes: Uint8Array): { code: number; message: string; details: { typeUrl: string; value: Uint8Array }[] } {
  const r = new BinaryReader(bytes);
  const out = { code: 0, message: "", details: [] as { typeUrl: string; value: Uint8Array }[] };
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field === 1) out.code = r.int32();
    else if (field === 2) out.message = r.string();
    else if (field === 3) {
      const any = new BinaryReader(r.bytes());
      const detail: { typeUrl: string; value: Uint8Array } = { typeUrl: "", value: new Uint8Array() };
      while (any.pos < any.len) {
        const [f, wt] = any.tag();
        if (f === 1) detail.typeUrl = any.string();
        else if (f === 2) detail.value = any.bytes();
        else any.skip(wt);
      }
      out.details.push(detail);
    } else r.skip(wireType);
  }
  return out;
}
