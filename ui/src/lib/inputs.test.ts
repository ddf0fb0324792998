import { describe, expect, it } from "vitest";
import { fieldOf, initialValue, submittedValue, submittedValues } from "./inputs";

describe("run form generation", () => {
  it("gives each input type its control", () => {
    const controls = ["STRING", "INT", "FLOAT", "BOOLEAN", "SELECT", "MULTISELECT", "DATE", "JSON", "FILE", "SECRET"]
      .map((type) => fieldOf({ id: "x", type }).control);
    expect(controls).toEqual(["text", "number", "number", "checkbox", "select", "multiselect", "date", "textarea", "file", "password"]);
  });

  it("is required only when the flow neither defaults nor marks it optional", () => {
    expect(fieldOf({ id: "a", type: "STRING" }).required).toBe(true);
    expect(fieldOf({ id: "a", type: "STRING", defaults: "x" }).required).toBe(false);
    expect(fieldOf({ id: "a", type: "STRING", required: false }).required).toBe(false);
  });

  it("lists SELECT values as options and keeps numeric bounds", () => {
    const field = fieldOf({ id: "n", type: "INT", min: 1, max: 5 });
    expect([field.min, field.max, field.step]).toEqual([1, 5, "1"]);
    expect(fieldOf({ id: "s", type: "SELECT", values: ["a", 2] }).options).toEqual(["a", "2"]);
  });

  it("starts from the defaults", () => {
    expect(initialValue({ id: "b", type: "BOOLEAN", defaults: true })).toBe(true);
    expect(initialValue({ id: "j", type: "JSON", defaults: { a: 1 } })).toBe('{\n  "a": 1\n}');
    expect(initialValue({ id: "m", type: "MULTISELECT", defaults: ["x"] })).toEqual(["x"]);
    expect(initialValue({ id: "s", type: "STRING" })).toBe("");
  });

  it("sends typed values, and leaves out empty ones so the defaults apply", () => {
    expect(submittedValue({ id: "n", type: "INT" }, "42")).toBe(42);
    expect(submittedValue({ id: "n", type: "INT" }, "abc")).toBe("abc");
    expect(submittedValue({ id: "j", type: "JSON" }, '{"a":[1]}')).toEqual({ a: [1] });
    expect(submittedValue({ id: "j", type: "JSON" }, "{broken")).toBe("{broken");
    expect(submittedValues(
      [{ id: "a", type: "STRING" }, { id: "b", type: "STRING" }, { id: "c", type: "BOOL" }],
      { a: "x", b: "", c: false },
    )).toEqual({ a: "x", c: false });
  });
});
