// The run form, generated from a flow's declared inputs: which control each input gets, its
// starting value, and the value sent to the API. The server validates; the form only shapes.
import type { InputDecl } from "../api/types";

export type Control =
  | "text" | "password" | "email" | "url" | "number" | "checkbox" | "select" | "multiselect"
  | "datetime" | "date" | "time" | "textarea" | "file";

export interface Field {
  id: string;
  label: string;
  help?: string;
  control: Control;
  required: boolean;
  options: string[];
  step?: string;
  min?: number | string;
  max?: number | string;
  /** Shown under the field: what the server expects, for types a plain input cannot enforce. */
  hint?: string;
}

const CONTROLS: Record<string, Control> = {
  STRING: "text", SECRET: "password", EMAIL: "email", URI: "url", INT: "number", FLOAT: "number",
  BOOL: "checkbox", BOOLEAN: "checkbox", SELECT: "select", MULTISELECT: "multiselect",
  DATETIME: "datetime", DATE: "date", TIME: "time", DURATION: "text", JSON: "textarea",
  YAML: "textarea", ARRAY: "textarea", FILE: "file",
};

const HINTS: Record<string, string> = {
  DURATION: "ISO-8601 duration, e.g. PT30S",
  JSON: "JSON",
  YAML: "YAML",
  ARRAY: "a JSON array",
  DATETIME: "local time; sent as UTC",
};

export function fieldOf(input: InputDecl): Field {
  const control = CONTROLS[input.type] ?? "text";
  const numeric = input.type === "INT" || input.type === "FLOAT";
  return {
    id: input.id,
    label: input.displayName || input.id,
    help: input.description,
    control,
    required: input.required !== false && input.defaults === undefined,
    options: (input.values ?? input.options ?? []).map(String),
    step: input.type === "INT" ? "1" : input.type === "FLOAT" ? "any" : undefined,
    min: numeric ? input.min : undefined,
    max: numeric ? input.max : undefined,
    hint: HINTS[input.type] ?? (input.itemType ? `items of type ${input.itemType}` : undefined),
  };
}

/** The control's starting value, from the input's defaults. */
export function initialValue(input: InputDecl): unknown {
  const control = fieldOf(input).control;
  const given = input.defaults;
  if (control === "checkbox") return given === true || given === "true";
  if (control === "multiselect") return Array.isArray(given) ? given.map(String) : [];
  if (control === "file") return null;
  if (given === undefined || given === null) return "";
  if (control === "textarea" && typeof given !== "string") return JSON.stringify(given, null, 2);
  if (control === "datetime" && typeof given === "string") return toLocalInput(given);
  return String(given);
}

/**
 * What the API receives for this input, or undefined to leave it out (so the flow's
 * defaults apply). Typed text (JSON, numbers) is parsed here only when it parses; anything
 * else goes as written so the server's message names the input and the problem.
 */
export function submittedValue(input: InputDecl, value: unknown): unknown {
  const control = fieldOf(input).control;
  if (control === "checkbox") return Boolean(value);
  if (control === "multiselect") return (value as string[]).length ? value : undefined;
  if (control === "file") return value instanceof File ? value : undefined;
  if (value === "" || value === null || value === undefined) return undefined;
  const text = String(value);
  if (control === "number") {
    const number = Number(text);
    return Number.isFinite(number) ? number : text;
  }
  if (input.type === "JSON" || input.type === "ARRAY") {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  if (control === "datetime") return new Date(text).toISOString();
  return text;
}

export function submittedValues(inputs: InputDecl[], values: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const input of inputs) {
    const value = submittedValue(input, values[input.id]);
    if (value !== undefined) body[input.id] = value;
  }
  return body;
}

/** An ISO date-time as the value of an <input type="datetime-local"> (local time, minutes). */
function toLocalInput(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}
