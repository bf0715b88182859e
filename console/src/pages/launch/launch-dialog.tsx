import { create } from "@bufbuild/protobuf";
import { useQuery } from "@connectrpc/connect-query";
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { useNavigate } from "react-router";
import {
  ExecutionMetadata_ExecutionMode,
  ExecutionMetadataSchema,
  type ExecutionSpec,
  ExecutionSpecSchema,
} from "../../../../gen/flyteidl/admin/execution_pb.js";
import { Sort_Direction } from "../../../../gen/flyteidl/admin/common_pb.js";
import type { LaunchPlan } from "../../../../gen/flyteidl/admin/launch_plan_pb.js";
import type { Task } from "../../../../gen/flyteidl/admin/task_pb.js";
import { type Identifier, ResourceType, type WorkflowExecutionIdentifier } from "../../../../gen/flyteidl/core/identifier_pb.js";
import { type LiteralMap, LiteralMapSchema } from "../../../../gen/flyteidl/core/literals_pb.js";
import { AdminService } from "../../../../gen/flyteidl/service/admin_pb.js";
import { adminClient } from "../../app/transport.js";
import { paths } from "../../app/routes.js";
import { ErrorNotice, Loading } from "../../components/status.js";
import { type FieldValue, type FormField, formLiterals, launchPlanFields, taskFields, valuesFromLiterals } from "../../lib/launch-form.js";
import { type LaunchOptions, NO_OPTIONS, type OptionErrors, optionsFromSpec, optionsToSpec } from "../../lib/launch-options.js";
import { AdvancedOptions } from "./advanced-options.js";
import { InputField } from "./input-field.js";
import "./launch.css";

export interface LaunchTarget {
  kind: "workflow" | "task" | "launchPlan";
  id: Identifier;
}

export interface LaunchDialogProps {
  target: LaunchTarget;
  onClose: () => void;
  /** Relaunch with changes: the earlier execution's inputs and spec prefill the form, and the new one names it. */
  relaunch?: { from: WorkflowExecutionIdentifier; inputs?: LiteralMap | undefined; spec?: ExecutionSpec | undefined };
}

const NEWEST = { key: "created_at", direction: Sort_Direction.DESCENDING };
const VERSIONS = 20;

/**
 * The launch form in a modal dialog: pick a launch plan and version (or a task
 * version), fill the inputs generated from its interface, set the advanced
 * options, and create the execution; then go to its page.
 */
export default function LaunchDialog({ target, onClose, relaunch }: LaunchDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  const { project, domain } = target.id;
  return (
    <dialog ref={dialog} className="launch-dialog" aria-labelledby={titleId} onCancel={(e) => (e.preventDefault(), onClose())}>
      <h2 id={titleId}>{relaunch ? "Relaunch with changes" : `Launch ${target.kind === "task" ? "task" : "workflow"}`}</h2>
      <p className="mono launch-subject">{target.id.name}</p>
      {target.kind === "task" ? (
        <TaskLaunch target={target} onClose={onClose} relaunch={relaunch} />
      ) : (
        <LaunchPlanLaunch target={target} onClose={onClose} relaunch={relaunch} project={project} domain={domain} />
      )}
    </dialog>
  );
}

function LaunchPlanLaunch({ target, onClose, relaunch, project, domain }: LaunchDialogProps & { project: string; domain: string }) {
  // A workflow launches through one of its launch plans; the default one has the workflow's name.
  const plans = useQuery(
    AdminService.method.listLaunchPlans,
    { id: { project, domain }, filters: `eq(workflow.name,${target.id.name})`, limit: 100, sortBy: NEWEST },
    { enabled: target.kind === "workflow" },
  );
  const names = useMemo(() => {
    if (target.kind === "launchPlan") return [target.id.name];
    const all = [...new Set(plans.data?.launchPlans.map((lp) => lp.id!.name) ?? [])];
    return all.sort((a, b) => Number(b === target.id.name) - Number(a === target.id.name) || a.localeCompare(b));
  }, [plans.data, target]);
  const [chosenName, setName] = useState<string>();
  const name = chosenName ?? names[0];
  const versions = useQuery(AdminService.method.listLaunchPlans, { id: { project, domain, name: name ?? "" }, limit: VERSIONS, sortBy: NEWEST }, { enabled: !!name });
  const [chosenVersion, setVersion] = useState<string>();
  const list = versions.data?.launchPlans ?? [];
  // The version asked for: the launch plan's own, or the one made for the workflow version shown.
  const preferred =
    target.kind === "launchPlan" ? list.find((lp) => lp.id!.version === target.id.version) : list.find((lp) => lp.spec?.workflowId?.version === target.id.version);
  const plan = list.find((lp) => lp.id!.version === chosenVersion) ?? preferred ?? list[0];

  if (plans.error || versions.error) return <ErrorNotice error={plans.error ?? versions.error} />;
  if (plans.isLoading || versions.isLoading) return <Loading what="launch plans" />;
  if (!name || !plan) return <p className="status">No launch plan found for this workflow.</p>;
  return (
    <>
      <div className="launch-pickers">
        {target.kind === "workflow" ? (
          <label className="field">
            Launch plan
            <select value={name} onChange={(e) => (setName(e.target.value), setVersion(undefined))}>
              {names.map((n) => (
                <option key={n}>{n}</option>
              ))}
            </select>
          </label>
        ) : null}
        <label className="field">
          Version
          <select value={plan.id!.version} onChange={(e) => setVersion(e.target.value)}>
            {list.map((lp) => (
              <option key={lp.id!.version}>{lp.id!.version}</option>
            ))}
          </select>
        </label>
      </div>
      <LaunchForm key={`${plan.id!.name}@${plan.id!.version}`} fields={planFields(plan)} launchId={{ ...plan.id!, resourceType: ResourceType.LAUNCH_PLAN }} onClose={onClose} relaunch={relaunch} />
    </>
  );
}

function planFields(plan: LaunchPlan): FormField[] {
  const parameters = plan.closure?.expectedInputs?.parameters ?? plan.spec?.defaultInputs?.parameters ?? {};
  return launchPlanFields(parameters, plan.spec?.fixedInputs?.literals);
}

function TaskLaunch({ target, onClose, relaunch }: LaunchDialogProps) {
  const { project, domain, name } = target.id;
  const versions = useQuery(AdminService.method.listTasks, { id: { project, domain, name }, limit: VERSIONS, sortBy: NEWEST });
  const [chosen, setVersion] = useState<string>();
  const list: Task[] = versions.data?.tasks ?? [];
  const task = list.find((t) => t.id!.version === (chosen ?? target.id.version)) ?? list[0];
  if (versions.error) return <ErrorNotice error={versions.error} />;
  if (versions.isLoading) return <Loading what="task versions" />;
  if (!task) return <p className="status">No version of this task found.</p>;
  const variables = task.closure?.compiledTask?.template?.interface?.inputs?.variables ?? {};
  return (
    <>
      <div className="launch-pickers">
        <label className="field">
          Version
          <select value={task.id!.version} onChange={(e) => setVersion(e.target.value)}>
            {list.map((t) => (
              <option key={t.id!.version}>{t.id!.version}</option>
            ))}
          </select>
        </label>
      </div>
      {/* A task runs directly: CreateExecution names it with resource type TASK, and the server makes its launch plan. */}
      <LaunchForm key={task.id!.version} fields={taskFields(variables)} launchId={{ ...task.id!, resourceType: ResourceType.TASK }} onClose={onClose} relaunch={relaunch} />
    </>
  );
}

function LaunchForm({ fields, launchId, onClose, relaunch }: { fields: FormField[]; launchId: Identifier; onClose: () => void; relaunch: LaunchDialogProps["relaunch"] }) {
  const navigate = useNavigate();
  const { project, domain } = launchId;
  const [values, setValues] = useState<Record<string, FieldValue>>(() =>
    relaunch?.inputs ? valuesFromLiterals(fields, relaunch.inputs.literals) : Object.fromEntries(fields.map((f) => [f.name, f.initial])),
  );
  const [options, setOptions] = useState<LaunchOptions>(() => (relaunch?.spec ? optionsFromSpec(relaunch.spec) : NO_OPTIONS));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [optionErrors, setOptionErrors] = useState<OptionErrors>({});
  const [state, setState] = useState<{ busy: boolean; error?: unknown }>({ busy: false });
  const form = useRef<HTMLFormElement>(null);

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    const result = formLiterals(fields, values);
    const opts = optionsToSpec(options);
    setErrors(result.errors);
    setOptionErrors(opts.errors);
    if (Object.keys(result.errors).length || Object.keys(opts.errors).length) {
      // Take the user to the first field that needs attention.
      requestAnimationFrame(() => form.current?.querySelector<HTMLElement>("[aria-invalid=true]")?.focus());
      return;
    }
    setState({ busy: true });
    try {
      const inputs = create(LiteralMapSchema, { literals: result.literals });
      const spec = create(ExecutionSpecSchema, opts.spec);
      spec.launchPlan = launchId;
      spec.inputs = inputs;
      // A relaunch says so and names the execution it came from, as RelaunchExecution records it.
      spec.metadata = create(
        ExecutionMetadataSchema,
        relaunch ? { mode: ExecutionMetadata_ExecutionMode.RELAUNCH, referenceExecution: relaunch.from } : { mode: ExecutionMetadata_ExecutionMode.MANUAL },
      );
      const res = await adminClient.createExecution({ project, domain, spec, inputs });
      onClose();
      navigate(paths.execution(res.id!));
    } catch (error) {
      setState({ busy: false, error });
    }
  }

  return (
    <form ref={form} onSubmit={submit} noValidate>
      <fieldset className="launch-inputs">
        <legend>Inputs</legend>
        {fields.length === 0 ? <p className="status">This launch takes no inputs.</p> : null}
        {fields.map((f) => (
          <InputField
            key={f.name}
            field={f}
            value={values[f.name] ?? f.initial}
            error={errors[f.name]}
            upload={{ project, domain }}
            onChange={(v) => {
              setValues((old) => ({ ...old, [f.name]: v }));
              if (errors[f.name]) setErrors(({ [f.name]: _, ...rest }) => rest);
            }}
          />
        ))}
      </fieldset>
      <AdvancedOptions options={options} errors={optionErrors} onChange={setOptions} />
      {state.error ? <ErrorNotice error={state.error} /> : null}
      <div className="launch-actions">
        <button type="button" className="secondary" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" disabled={state.busy}>
          {state.busy ? "Launching…" : "Launch"}
        </button>
      </div>
    </form>
  );
}
