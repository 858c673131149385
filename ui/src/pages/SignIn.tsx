import { useState, type SyntheticEvent } from 'react';
import { ApiError, request } from '../api';
import { Field, ProblemView } from '../components';

/**
 * Paste a bearer token (from `entitle token create` or `POST /v1/tokens`). It is checked against
 * the API, kept in this tab's sessionStorage only, and sent with every call.
 */
export function SignInPage({
  onSignIn,
  expired,
}: {
  onSignIn: (token: string) => void;
  expired: boolean;
}) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    const token = value.trim().replace(/^Bearer\s+/i, '');
    if (token === '') {
      setError(
        new ApiError({
          type: 'about:blank',
          title: 'No token',
          status: 0,
          detail: 'Paste a bearer token first.',
        }),
      );
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      // Any role may read its accounts: a cheap check that the server accepts the token.
      await request('/v1/accounts', {
        query: { limit: 1, include: 'id' },
        headers: { authorization: `Bearer ${token}` },
      });
      onSignIn(token);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : undefined);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="signin">
      <form
        onSubmit={(event) => {
          void submit(event);
        }}
        aria-labelledby="signin-title"
      >
        <h1 id="signin-title">Sign in to Entitle</h1>
        {expired && (
          <p className="notice" role="status">
            The server refused the token (expired or revoked). Sign in again.
          </p>
        )}
        <Field
          label="Bearer token"
          name="token"
          hint="From `entitle token create` or POST /v1/tokens. Kept in this browser tab only."
        >
          <textarea
            id="f-token"
            rows={5}
            value={value}
            autoComplete="off"
            spellCheck={false}
            onChange={(event) => {
              setValue(event.target.value);
            }}
          />
        </Field>
        <ProblemView error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p className="muted small">
          A sign-in link <code>/ui/#token=…</code> works too: the token is read once and removed
          from the address bar.
        </p>
      </form>
    </main>
  );
}
