// Public API of the workflow compiler (a port of flytepropeller/pkg/compiler as
// FlyteAdmin v1.16.8 uses it in CreateWorkflow). Pure: no I/O, inputs untouched.
export { compileWorkflow, type CompileResult, type CompileWorkflowInput } from "./compile-workflow.js";
export { workflowRequirements, type Requirements } from "./requirements.js";
export {
  CompilationFailed,
  type CompileError,
  formatCompileErrors,
  renderCompileError,
  sortCompileErrors,
} from "./compile-errors.js";
export { compileErrors } from "./error-constructors.js";
export { isCastable } from "./type-castable.js";
export { literalMatchesType, literalTypeOf, literalTypeOfScalar } from "./literal-type-of.js";
export { compareIdentifiers, identifierKey } from "./identifier-set.js";
export { identifierText, literalTypeText, literalTypeToStr, protoText } from "./proto-text.js";
export { END_NODE_ID, type LaunchPlanInterface, START_NODE_ID } from "./workflow-builder.js";
