import type { ComponentChildren } from "preact";
import { useApp } from "../context";
import type { Scope } from "../scopes";

interface Props {
  scope: Scope;
  /** Controls disabled for want of `scope` point at this id (aria-describedby). */
  id: string;
  /** What is disabled, before the reason ("New game, Edit and Delete are disabled:"). */
  children?: ComponentChildren;
}

/** Why something is disabled: the scope it needs and the ones the key has. Nothing when the key has it. */
export function ScopeNote({ scope, id, children }: Props) {
  const { access } = useApp();
  if (access.can(scope)) return null;
  return (
    <p class="scope-note" id={id} data-testid={`scope-note-${scope}`}>
      {children ? <>{children} </> : null}
      {access.why(scope)}
    </p>
  );
}
