// Checks an event against the generated contract (contract.generated.js, from the Avro schema):
// every field present with its type, nullability, enum symbols and bounds. Returns the problems.
import { CONTRACT } from "../src/contract.generated.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const bytes = (text) => new TextEncoder().encode(text).length;

function check(fields, value, path, problems) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    problems.push(`${path || "event"}: expected an object`);
    return;
  }
  const known = new Set(fields.map((f) => f.name));
  for (const name of Object.keys(value)) if (!known.has(name)) problems.push(`${path}${name}: not in the contract`);
  for (const field of fields) {
    const at = `${path}${field.name}`;
    const v = value[field.name];
    if (v === undefined) {
      problems.push(`${at}: missing`);
      continue;
    }
    if (v === null) {
      if (!field.nullable) problems.push(`${at}: null where the contract requires a value`);
      continue;
    }
    switch (field.type) {
      case "record":
        check(field.fields, v, `${at}.`, problems);
        break;
      case "enum":
        if (!field.symbols.includes(v)) problems.push(`${at}: ${v} is not one of the contract's symbols`);
        break;
      case "uuid":
        if (typeof v !== "string" || !UUID.test(v)) problems.push(`${at}: not a UUID`);
        break;
      case "timestamp":
        if (typeof v !== "string" || Number.isNaN(Date.parse(v)) || !v.endsWith("Z")) problems.push(`${at}: not an ISO-8601 UTC time`);
        break;
      case "string":
        if (typeof v !== "string") problems.push(`${at}: expected a string`);
        else if (field.maxLength && bytes(v) > field.maxLength) problems.push(`${at}: over ${field.maxLength} bytes`);
        else if (field.minLength && v.trim().length < field.minLength) problems.push(`${at}: blank`);
        break;
      case "boolean":
        if (typeof v !== "boolean") problems.push(`${at}: expected a boolean`);
        break;
      case "int":
      case "long":
        if (!Number.isInteger(v)) problems.push(`${at}: expected an integer, got ${v}`);
      // falls through: the bounds
      case "float":
      case "double":
        if (typeof v !== "number") problems.push(`${at}: expected a number`);
        if (field.min !== undefined && v < field.min) problems.push(`${at}: ${v} below ${field.min}`);
        if (field.max !== undefined && v > field.max) problems.push(`${at}: ${v} above ${field.max}`);
        break;
      default:
        problems.push(`${at}: unknown contract type ${field.type}`);
    }
  }
}

export function contractProblems(event) {
  const problems = [];
  const { payload, ...envelope } = event;
  check(CONTRACT.envelope, envelope, "", problems);
  const payloadFields = CONTRACT.payloads[event.event_type];
  if (!payloadFields) problems.push(`event_type: ${event.event_type} has no payload in the contract`);
  else check(payloadFields, payload, "payload.", problems);
  return problems;
}
