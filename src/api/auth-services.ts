import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";

/**
 * FlyteAdmin with authentication off does not register AuthMetadataService
 * and IdentityService, so their callers get UNIMPLEMENTED "unknown service".
 * Registering them here with that answer keeps the behaviour while letting
 * reflection list them and the HTTP routes map to them.
 */
export function unknownService(service: DescService): Record<string, () => never> {
  const impl: Record<string, () => never> = {};
  for (const method of service.methods) {
    impl[method.localName] = () => {
      throw new ConnectError(`unknown service ${service.typeName}`, Code.Unimplemented);
    };
  }
  return impl;
}
