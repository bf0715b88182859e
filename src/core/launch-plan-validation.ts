import { create } from "@bufbuild/protobuf";
import type { LaunchPlanSpec } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import type { Notification } from "../../gen/flyteidl/admin/common_pb.js";
import { WorkflowExecution_Phase as Phase } from "../../gen/flyteidl/core/execution_pb.js";
import { type Parameter, type ParameterMap, ParameterMapSchema, ParameterSchema, type TypedInterface } from "../../gen/flyteidl/core/interface_pb.js";
import type { Literal } from "../../gen/flyteidl/core/literals_pb.js";
import { SimpleType } from "../../gen/flyteidl/core/types_pb.js";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { isCastable, literalTypeOf, literalTypeText, protoText } from "./compiler/index.js";
import { cronError } from "./cron.js";
import { invalidArgument, invalidValue, missingField } from "./errors.js";
import { validateLabels } from "./projects.js";

/**
 * The launch plan spec checks after identifiers and the project gate
 * (FlyteAdmin's ValidateLaunchPlan), in its order. Returns the expected
 * inputs: for every workflow input, the launch plan's default parameter, or
 * nothing when the input is fixed, or the workflow's variable as required.
 * FlyteAdmin stops checking a map at its first datetime literal (in random map
 * order); every entry is checked here.
 */
export function validateLaunchPlanSpec(spec: LaunchPlanSpec, workflowInterface: TypedInterface | undefined): ParameterMap {
  validateLabels(spec.labels?.values ?? {});
  validateFixedInputs(spec.fixedInputs?.literals ?? {});
  validateDefaultInputs(spec.defaultInputs?.parameters ?? {});
  const expected = expectedInputs(workflowInterface, spec);
  validateSchedule(spec, expected);
  validateNotifications(spec.entityMetadata?.notifications ?? []);
  const conditions = spec.entityMetadata?.launchConditions;
  if (conditions) throw invalidArgument(`Launch condition must be empty, found ${conditions.typeUrl}`);
  return expected;
}

function validateFixedInputs(literals: Record<string, Literal>): void {
  for (const [name, literal] of Object.entries(literals)) {
    if (name === "") throw invalidArgument("missing key in fixed_inputs");
    if (literal.value.case === undefined) throw invalidArgument(`missing valid literal in fixed_inputs ${name}`);
    validateDatetimeLiteral(literal);
  }
}

// google.protobuf.Timestamp's valid range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
const MIN_SECONDS = -62135596800n;
const MAX_SECONDS = 253402300799n;

/** FlyteAdmin's ValidateDatetime: a datetime literal must be a valid Timestamp (protobuf-go's CheckValid texts). */
export function validateDatetimeLiteral(literal: Literal): void {
  if (literal.value.case !== "scalar") return;
  const scalar = literal.value.value.value;
  if (scalar.case !== "primitive" || scalar.value.value.case !== "datetime") return;
  const ts = scalar.value.value.value;
  const text = protoText(TimestampSchema, ts);
  if (ts.seconds < MIN_SECONDS) throw invalidArgument(`timestamp (${text}) before 0001-01-01`);
  if (ts.seconds > MAX_SECONDS) throw invalidArgument(`timestamp (${text}) after 9999-12-31`);
  if (ts.nanos < 0 || ts.nanos >= 1e9) throw invalidArgument(`timestamp (${text}) has out-of-range nanos`);
}

function validateDefaultInputs(parameters: Record<string, Parameter>): void {
  for (const [name, p] of Object.entries(parameters)) {
    if (p.behavior.case === "artifactQuery") throw invalidArgument(`artifact mode not enabled but query found default_inputs ${name}`);
    if (name === "") throw invalidArgument("missing key in default_inputs");
    if (!p.var?.type) {
      throw invalidArgument(`The Variable component of the Parameter ${name} in default_inputs either is missing, or has a missing Type`);
    }
    const hasDefault = p.behavior.case === "default";
    const required = p.behavior.case === "required" && p.behavior.value;
    if (!hasDefault && !required) {
      throw invalidArgument(`Invalid variable ${name} in default_inputs - variable has neither default, nor is required. One must be specified`);
    }
    if (p.behavior.case === "default") {
      validateDatetimeLiteral(p.behavior.value);
      const literalType = literalTypeOf(p.behavior.value);
      if (!literalType) throw invalidArgument(`Failed to validate literal type for [${name}] with err: literal has no recognisable type`);
      if (!isCastable(literalType, p.var.type)) {
        throw invalidArgument(
          `Type mismatch for Parameter ${name} in default_inputs has type ${literalTypeText(p.var.type)}, expected ${literalTypeText(literalType)}`,
        );
      }
    }
  }
}

function expectedInputs(workflowInterface: TypedInterface | undefined, spec: LaunchPlanSpec): ParameterMap {
  const defaults = spec.defaultInputs?.parameters ?? {};
  const fixed = spec.fixedInputs?.literals ?? {};
  const variables = workflowInterface?.inputs?.variables ?? {};
  if (Object.keys(variables).length === 0) {
    const nDefaults = Object.keys(defaults).length;
    if (nDefaults > 0) throw invalidArgument(`invalid launch plan default inputs, expected none but found ${nDefaults}`);
    const nFixed = Object.keys(fixed).length;
    if (nFixed > 0) throw invalidArgument(`invalid launch plan fixed inputs, expected none but found ${nFixed}`);
    return create(ParameterMapSchema);
  }
  for (const [name, p] of Object.entries(defaults)) {
    const wanted = variables[name];
    if (!wanted) throw invalidArgument(`unexpected default_input ${name}`);
    if (!p.var?.type || !wanted.type || !isCastable(p.var.type, wanted.type)) {
      throw invalidArgument(`invalid default_input wrong type ${name}, expected ${literalTypeText(p.var?.type)}, got ${literalTypeText(wanted.type)} instead`);
    }
  }
  for (const [name, literal] of Object.entries(fixed)) {
    const wanted = variables[name];
    if (!wanted) throw invalidArgument(`unexpected fixed_input ${name}`);
    const literalType = literalTypeOf(literal);
    if (!literalType) throw invalidArgument(`Failed to validate literal type for [${name}] with err: literal has no recognisable type`);
    if (!wanted.type || !isCastable(literalType, wanted.type)) {
      throw invalidArgument(`invalid fixed_input wrong type ${name}, expected ${literalTypeText(wanted.type)}, got ${literalTypeText(literalType)} instead`);
    }
  }
  const parameters: Record<string, Parameter> = {};
  for (const [name, variable] of Object.entries(variables)) {
    const given = defaults[name];
    if (given) parameters[name] = given;
    else if (!(name in fixed)) {
      parameters[name] = create(ParameterSchema, {
        var: { type: variable.type, description: variable.description },
        behavior: { case: "required", value: true },
      });
    }
  }
  return create(ParameterMapSchema, { parameters });
}

function validateSchedule(spec: LaunchPlanSpec, expected: ParameterMap): void {
  const schedule = spec.entityMetadata?.schedule;
  const expression = schedule?.ScheduleExpression;
  // An empty cron_expression is no schedule, as in FlyteAdmin.
  if (!schedule || expression?.case === undefined || (expression.case === "cronExpression" && expression.value === "")) return;
  const kickoff = schedule.kickoffTimeInputArg;
  for (const [name, p] of Object.entries(expected.parameters)) {
    if (p.behavior.case === "required" && p.behavior.value && name !== kickoff) {
      throw invalidArgument(`Cannot create a launch plan with a schedule if there is an unbound required input. [${name}] is required`);
    }
  }
  if (kickoff !== "") {
    const p = expected.parameters[kickoff];
    if (!p) {
      throw invalidArgument(`Cannot create a schedule with a KickoffTimeInputArg that does not point to a free input. [${kickoff}] is not free or does not exist.`);
    }
    const t = p.var?.type?.type;
    if (!(t?.case === "simple" && t.value === SimpleType.DATETIME)) {
      throw invalidArgument(`KickoffTimeInputArg must reference a datetime input. [${kickoff}] is a [${literalTypeText(p.var?.type)}]`);
    }
  }
  const expr = schedule.ScheduleExpression;
  const cron = expr.case === "cronExpression" ? expr.value : expr.case === "cronSchedule" ? expr.value.schedule : "";
  if (cron !== "") {
    const error = cronError(cron);
    if (error) throw invalidArgument(`Invalid cron expression: ${error}`);
  }
}

const NOTIFY_PHASES = new Set([Phase.SUCCEEDED, Phase.FAILED, Phase.TIMED_OUT, Phase.ABORTED]);

export function validateNotifications(notifications: readonly Notification[]): void {
  for (const n of notifications) {
    if (n.type.case === undefined) throw invalidValue("notification type");
    const recipients = n.type.value.recipientsEmail;
    if (recipients.length === 0) throw missingField("recipients");
    if (recipients.some((r) => r === "")) throw missingField("recipient");
    if (n.phases.some((p) => !NOTIFY_PHASES.has(p))) throw invalidValue("phase");
  }
}
