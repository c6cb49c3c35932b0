import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

interface Props {
  title: string;
  confirmLabel: string;
  busyLabel?: string;
  onConfirm: () => Promise<void> | void;
  onCancel: () => void;
  children: ComponentChildren;
}

/**
 * A modal confirmation on the native <dialog>: focus moves into it and stays there, Escape
 * cancels, and focus goes back to the control that opened it. Cancel has the initial focus,
 * so pressing Enter by habit deletes nothing.
 */
export function ConfirmDialog({ title, confirmLabel, busyLabel = "Working…", onConfirm, onCancel, children }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  // The control that opened the dialog gets the focus back when it is cancelled.
  const opener = useRef(document.activeElement as HTMLElement | null);
  const cancel = () => {
    onCancel();
    requestAnimationFrame(() => {
      if (opener.current?.isConnected) opener.current.focus();
    });
  };

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.open && dialog.close();
  }, []);

  const confirm = async () => {
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={ref}
      class="confirm"
      aria-labelledby="confirm-title"
      onCancel={(event) => {
        event.preventDefault();
        cancel();
      }}
    >
      <h2 id="confirm-title">{title}</h2>
      {children}
      <div class="actions">
        <button type="button" onClick={cancel} autoFocus disabled={busy}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={confirm} disabled={busy}>
          {busy ? busyLabel : confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
