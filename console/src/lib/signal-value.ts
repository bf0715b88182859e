import type { Literal } from "../../../gen/flyteidl/core/literals_pb.js";
import type { LiteralType } from "../../../gen/flyteidl/core/types_pb.js";
import { shapeOf } from "./form-shape.js";
import { emptyValue, type FieldValue, fieldToLiteral, type FormField } from "./launch-form.js";
import { primitiveLiteral, ValueError } from "./literal-json.js";

/**
 * A gate's signal value, typed in the launch form's controls: a signal of any type the form can
 * produce (lists, unions, enums, dataclasses, files...) gets the control a launch input of that
 * type gets, and the same literal. Sent through SetSignal, as flytectl and
 * `FlyteRemote.set_signal` send it.
 */
export function signalField(signalId: string, type: LiteralType): FormField {
  const shape = shapeOf(type);
  return { ...shape, name: signalId, description: "", required: true, fixed: false, initial: emptyValue(shape) };
}

/** The literal for the value in the signal's control, or the message saying why there is none. */
export function signalLiteral(field: FormField, value: FieldValue): Literal | string {
  if (field.kind === "unsupported") return "This signal's type cannot be entered here; use flytectl or the API";
  try {
    return fieldToLiteral(field, value, true) ?? "A value is required";
  } catch (e) {
    if (e instanceof ValueError) return e.message;
    throw e;
  }
}

/** An approve gate's answer: its signal is a boolean. */
export const approval = (approved: boolean): Literal => primitiveLiteral({ case: "boolean", value: approved });
