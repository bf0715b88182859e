import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Awaits a call that must fail: its code name (`NotFound`, ...) and message,
 * plus the error itself as a non-enumerable `err`, so `toEqual({code, message})` still reads well.
 */
export async function failure(call: Promise<unknown>): Promise<{ code: string; message: string; err: ConnectError }> {
  try {
    await call;
  } catch (e) {
    const err = ConnectError.from(e);
    const result = { code: Code[err.code], message: err.rawMessage } as { code: string; message: string; err: ConnectError };
    Object.defineProperty(result, "err", { value: err, enumerable: false });
    return result;
  }
  throw new Error("expected the call to fail");
}
