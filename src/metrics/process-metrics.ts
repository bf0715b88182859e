import { collectDefaultMetrics, type Metric, Registry } from "prom-client";

// Shared by every app in the process, deliberately: prom-client's default
// collectors install process-wide observers (a GC PerformanceObserver, an
// event-loop delay monitor) that can never be removed, so one set per app
// would pile up in a process that builds many apps (the tests). The numbers
// describe the process, which all those apps share anyway.
let shared: Registry | undefined;

/** Node.js process metrics (CPU, memory, handles, event loop lag, GC), named `flyteadmin_process_*` and `flyteadmin_nodejs_*`. */
export function processMetrics(): Metric[] {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared, prefix: "flyteadmin_" });
  }
  // The typings say plain objects; at run time these are the metric instances registerMetric() takes.
  return shared.getMetricsAsArray() as unknown as Metric[];
}
