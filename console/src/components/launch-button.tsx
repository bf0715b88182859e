import { lazy, Suspense, useState } from "react";
import type { Identifier } from "../../../gen/flyteidl/core/identifier_pb.js";
import type { LaunchTarget } from "../pages/launch/launch-dialog.js";
import { Loading } from "./status.js";

// The launch form is its own chunk: entity pages load without it until someone presses Launch.
const LaunchDialog = lazy(() => import("../pages/launch/launch-dialog.js"));

/** The "Launch" control of workflow, task and launch plan pages; the form itself lives in pages/launch. */
export function LaunchButton({ kind, id }: { kind: LaunchTarget["kind"]; id: Identifier | undefined }) {
  const [open, setOpen] = useState(false);
  if (!id) return null;
  return (
    <>
      <button type="button" onClick={() => setOpen(true)} aria-haspopup="dialog">
        Launch
      </button>
      {open ? (
        <Suspense fallback={<Loading what="launch form" />}>
          <LaunchDialog target={{ kind, id }} onClose={() => setOpen(false)} />
        </Suspense>
      ) : null}
    </>
  );
}
