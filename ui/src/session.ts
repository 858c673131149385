import { createContext, useContext } from 'react';
import type { Claims } from './api';

export interface Session {
  token: string;
  claims: Claims;
  /** Operators issue, import, edit and delete; the server enforces it, the UI hides the buttons. */
  isOperator: boolean;
  /** Operators and account admins may cancel subscriptions and install keys. */
  canManage: boolean;
  signOut: () => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession outside a signed-in page');
  return session;
}

/**
 * A sign-in link `/ui/#token=…` carries the token once: it is moved to sessionStorage and removed
 * from the address bar (and so from the history) before anything renders.
 */
export function takeTokenFromFragment(): string | null {
  const hash = window.location.hash;
  if (!hash.startsWith('#')) return null;
  const params = new URLSearchParams(hash.slice(1));
  const token = params.get('token');
  if (token === null) return null;
  params.delete('token');
  const rest = params.toString();
  window.history.replaceState(
    null,
    '',
    window.location.pathname + window.location.search + (rest === '' ? '' : `#${rest}`),
  );
  return token.trim() === '' ? null : token.trim();
}
