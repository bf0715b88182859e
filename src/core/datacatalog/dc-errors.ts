import { AdminError, alreadyExists, invalidArgument, notFound } from "../errors.js";

/**
 * datacatalog's error messages (pkg/manager/impl/validators/errors.go and
 * pkg/repositories/errors), so a client comparing them sees the same text.
 */

/** `missing <field>`: a required field is empty. */
export const dcMissing = (field: string) => invalidArgument(`missing ${field}`);

/** `invalid value for <field>, value:[<value>]`. */
export const dcInvalid = (field: string, value: string) => invalidArgument(`invalid value for ${field}, value:[${value}]`);

/** A list filtered on properties of an entity it cannot be related to. */
export const dcInvalidFilter = (entity: string, property: string) => invalidArgument(`${entity} cannot be filtered by ${property} properties`);

/** `missing entity of type <type> with identifier <id as Go prints the proto message>`. */
export const dcMissingEntity = (type: string, identifierText: string) => notFound(`missing entity of type ${type} with identifier ${identifierText}`);

/**
 * What datacatalog answers on PostgreSQL when an insert meets a row with the
 * same key: the driver's error inside its own wording. The constraint names
 * are those of datacatalog's tables (`<table>_pkey`).
 */
export const dcDuplicate = (table: string) =>
  alreadyExists(`value with matching already exists (ERROR: duplicate key value violates unique constraint "${table}_pkey" (SQLSTATE 23505))`);

/**
 * Several validation failures in one error, their messages joined with ", "
 * (datacatalog's NewCollectedErrors); none is undefined.
 */
export function collected(checks: readonly (() => void)[]): AdminError | undefined {
  const messages: string[] = [];
  for (const check of checks) {
    try {
      check();
    } catch (e) {
      if (!(e instanceof AdminError)) throw e;
      messages.push(e.message);
    }
  }
  return messages.length > 0 ? invalidArgument(messages.join(", ")) : undefined;
}
