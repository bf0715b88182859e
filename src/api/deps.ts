import type { DomainConfig } from "../config.js";
import type { AttributeResolver, ServerAttributeDefaults } from "../core/attribute-resolver.js";
import type { Store } from "../storage/store.js";

/** What the RPC handlers are given; app.ts builds it once per server. */
export interface ApiDeps {
  store: Store;
  domains: readonly DomainConfig[];
  version: { build: string; version: string; buildTime: string };
  /** Server-level fallbacks for matchable attributes (the config file's execution defaults). */
  attributeDefaults: ServerAttributeDefaults;
  /** Registration limits. */
  limits: { maxWorkflowNodes: number };
  /** Most-specific-wins lookups over stored attributes, for executions. */
  attributes: AttributeResolver;
}
