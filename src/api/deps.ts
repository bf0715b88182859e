import type { DomainConfig } from "../config.js";
import type { Store } from "../storage/store.js";

/** What the RPC handlers are given; app.ts builds it once per server. */
export interface ApiDeps {
  store: Store;
  domains: readonly DomainConfig[];
  version: { build: string; version: string; buildTime: string };
}
