import type { ComponentChildren } from "preact";
import type { Platform } from "../../types";
import { PlatformOptions } from "../PlatformOptions";
import { fieldId, HINTS, LABELS, REQUIRED, type Field, type TextField as TextFieldName, type Values } from "./game-values";

interface FieldProps<F extends Field> {
  field: F;
  values: Values;
  messages: string[] | undefined;
  onChange(values: Values): void;
}

/** Label (with "(required)"), hint, the API's messages, then the control they describe. */
function FieldFrame({ field, messages, children }: { field: Field; messages: string[] | undefined; children: (describedBy: string | undefined) => ComponentChildren }) {
  const id = fieldId(field);
  const describedBy = [HINTS[field] ? `${id}-hint` : "", messages ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class={`field${messages ? " invalid" : ""}`}>
      <label for={id}>
        {LABELS[field]}
        {REQUIRED.has(field) ? <span class="required"> (required)</span> : null}
      </label>
      {HINTS[field] ? (
        <p class="hint" id={`${id}-hint`}>
          {HINTS[field]}
        </p>
      ) : null}
      {messages ? (
        <p class="field-error" id={`${id}-error`} data-field={field}>
          {messages.join("; ")}
        </p>
      ) : null}
      {children(describedBy)}
    </div>
  );
}

export function TextField({ field, values, messages, onChange, inputMode }: FieldProps<TextFieldName> & { inputMode?: "numeric" | "url" }) {
  return (
    <FieldFrame field={field} messages={messages}>
      {(describedBy) => (
        <input
          id={fieldId(field)}
          name={field}
          type="text"
          inputMode={inputMode}
          autoComplete="off"
          value={values[field]}
          onInput={(e) => onChange({ ...values, [field]: (e.currentTarget as HTMLInputElement).value })}
          aria-required={REQUIRED.has(field) ? "true" : undefined}
          aria-invalid={messages ? "true" : undefined}
          aria-describedby={describedBy}
        />
      )}
    </FieldFrame>
  );
}

export function PlatformField({ values, messages, onChange }: Omit<FieldProps<"platform">, "field">) {
  return (
    <FieldFrame field="platform" messages={messages}>
      {(describedBy) => (
        <select
          id={fieldId("platform")}
          name="platform"
          value={values.platform}
          onChange={(e) => onChange({ ...values, platform: (e.currentTarget as HTMLSelectElement).value as Platform })}
          aria-invalid={messages ? "true" : undefined}
          aria-describedby={describedBy}
        >
          <PlatformOptions />
        </select>
      )}
    </FieldFrame>
  );
}

export function PublishedField({ values, messages, onChange }: Omit<FieldProps<"isPublished">, "field">) {
  return (
    <div class={`field checkbox${messages ? " invalid" : ""}`}>
      <input
        id={fieldId("isPublished")}
        name="isPublished"
        type="checkbox"
        checked={values.isPublished}
        onChange={(e) => onChange({ ...values, isPublished: (e.currentTarget as HTMLInputElement).checked })}
        aria-invalid={messages ? "true" : undefined}
        aria-describedby={messages ? `${fieldId("isPublished")}-error` : undefined}
      />
      <label for={fieldId("isPublished")}>{LABELS.isPublished}</label>
      {messages ? (
        <p class="field-error" id={`${fieldId("isPublished")}-error`} data-field="isPublished">
          {messages.join("; ")}
        </p>
      ) : null}
    </div>
  );
}
