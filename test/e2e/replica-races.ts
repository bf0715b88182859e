// Helpers of replicas.test.ts: sending propeller's events the way a load
// balancer spreads them, and racing one registration at two replicas.
import { create } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { ParameterMapSchema } from "../../gen/flyteidl/core/interface_pb.js";
import type { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import { intValue, launchPlanId, promise, pythonTask, T, taskId, taskNode, workflow, workflowId } from "../fixtures/flyte-builders.js";
import { FANOUT, type PropellerEvent } from "../fixtures/propeller-streams.js";

export type Admin = Client<typeof AdminService>;
/** "OK", or the gRPC code's name (`AlreadyExists`, `FailedPrecondition`, ...). */
export type SendOutcome = string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function outcome(call: Promise<unknown>): Promise<SendOutcome> {
  try {
    await call;
    return "OK";
  } catch (e) {
    return Code[ConnectError.from(e).code];
  }
}

function call(admin: Admin, e: PropellerEvent): Promise<unknown> {
  if (e.kind === "workflow") return admin.createWorkflowEvent(e.request);
  if (e.kind === "node") return admin.createNodeEvent(e.request);
  return admin.createTaskEvent(e.request);
}

/**
 * Sends an event to a replica chosen at random after a short random pause;
 * with probability `retryRate` it is also sent, a moment later and while the
 * first send still runs, to the other replica (a timed-out send retried
 * elsewhere). Resolves once every send has its answer.
 */
export async function send(admins: Admin[], e: PropellerEvent, rng: () => number, retryRate: number): Promise<SendOutcome[]> {
  const first = Math.floor(rng() * admins.length);
  const pause = Math.floor(rng() * 3);
  if (pause > 0) await sleep(pause);
  const sends = [outcome(call(admins[first]!, e))];
  if (admins.length > 1 && rng() < retryRate) {
    await sleep(Math.floor(rng() * 3));
    sends.push(outcome(call(admins[(first + 1) % admins.length]!, e)));
  }
  return Promise.all(sends);
}

/** Every order of `items` (for a handful of items). */
export function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

type Kind = "task" | "workflow" | "launchPlan";

/**
 * Registers one new entity at two replicas at once: version v1 with the same
 * spec at both (`identical`) or a different one at each (`conflicting`), or
 * the same spec as v1 at one and v2 at the other (`versions`). `read` returns
 * the part of the stored v1 the specs differ in, `specs` that part of each
 * request.
 */
export async function registrationRace(admins: Admin[], kind: Kind, tag: string, mode: "identical" | "conflicting" | "versions") {
  const name = `race.${kind}.${tag}`;
  const variant = (i: number) => (mode === "conflicting" ? i : 0);
  const version = (i: number) => (mode === "versions" ? `v${i + 1}` : "v1");
  let read: (admin: Admin) => Promise<unknown>;
  let specs: unknown[];
  let register: (admin: Admin, i: number) => Promise<unknown>;
  if (kind === "task") {
    const images = ["img:1", "img:2"];
    specs = [0, 1].map((i) => images[variant(i)]);
    register = (admin, i) => {
      const template = pythonTask(name, { x: T.int() }, { o0: T.int() });
      if (template.target.case === "container") template.target.value.image = images[variant(i)]!;
      template.id = taskId(name, version(i));
      return admin.createTask({ id: template.id, spec: { template } });
    };
    read = async (admin) => {
      const target = (await admin.getTask({ id: taskId(name) })).closure?.compiledTask?.template?.target;
      return target?.case === "container" ? target.value.image : undefined;
    };
  } else if (kind === "workflow") {
    const shapes = [["n0"], ["n0", "n1"]];
    specs = [0, 1].map((i) => shapes[variant(i)]);
    register = (admin, i) => {
      const nodes = shapes[variant(i)]!.map((id) => taskNode(id, taskId("replicas.step"), { inputs: { x: promise("", "x") } }));
      const template = workflow(name, { inputs: { x: T.int() }, outputs: {}, nodes });
      template.id = workflowId(name, version(i));
      return admin.createWorkflow({ id: template.id, spec: { template } });
    };
    read = async (admin) => {
      const nodes = (await admin.getWorkflow({ id: workflowId(name) })).closure?.compiledWorkflow?.primary?.template?.nodes ?? [];
      return nodes.map((n) => n.id).filter((id) => id !== "start-node" && id !== "end-node");
    };
  } else {
    const defaults = [1, 2];
    specs = [0, 1].map((i) => defaults[variant(i)]);
    register = (admin, i) => {
      const defaultInputs = create(ParameterMapSchema, {
        parameters: { x: { var: { type: T.int() }, behavior: { case: "default", value: { value: { case: "scalar", value: intValue(defaults[variant(i)]!).value.value as never } } } } },
      });
      return admin.createLaunchPlan({ id: launchPlanId(name, version(i)), spec: { workflowId: workflowId(FANOUT), defaultInputs } });
    };
    read = async (admin) => {
      const x = (await admin.getLaunchPlan({ id: launchPlanId(name) })).spec?.defaultInputs?.parameters.x?.behavior;
      const literal = x?.case === "default" ? x.value.value : undefined;
      const primitive = literal?.case === "scalar" && literal.value.value.case === "primitive" ? literal.value.value.value.value : undefined;
      return primitive?.case === "integer" ? Number(primitive.value) : undefined;
    };
  }
  const results = await Promise.all(admins.map((admin, i) => outcome(register(admin, i))));
  return { name, outcomes: results.map((code) => ({ code })), specs, read };
}
