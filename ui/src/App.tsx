import { useEffect, useMemo, useState } from 'react';
import { claimsOf, clearToken, getToken, onUnauthorized, setToken } from './api';
import { Link, match, useLocation } from './router';
import { SessionContext, takeTokenFromFragment, type Session } from './session';
import { AccountsPage, AccountDetailPage } from './pages/Accounts';
import { EventsPage } from './pages/Events';
import { GroupsPage } from './pages/Groups';
import { ImportKeysPage } from './pages/ImportKeys';
import { InstanceDetailPage, InstancesPage } from './pages/Instances';
import { IssueLicensePage } from './pages/IssueLicense';
import { LicenseDetailPage } from './pages/LicenseDetail';
import { LicensesPage } from './pages/Licenses';
import { OverviewPage } from './pages/Overview';
import { PoliciesPage, PolicyDetailPage, PolicyFormPage } from './pages/Policies';
import { ProductsPage } from './pages/Products';
import { SignInPage } from './pages/SignIn';
import { SubscriptionDetailPage } from './pages/SubscriptionDetail';
import { SubscriptionFormPage } from './pages/SubscriptionForm';
import { SubscriptionsPage } from './pages/Subscriptions';
import { WebhookDetailPage, WebhooksPage } from './pages/Webhooks';

const NAV: [string, string][] = [
  ['/', 'Overview'],
  ['/licenses', 'Licenses'],
  ['/subscriptions', 'Subscriptions'],
  ['/accounts', 'Accounts'],
  ['/products', 'Products'],
  ['/policies', 'Policies'],
  ['/groups', 'Groups & orders'],
  ['/instances', 'Instances'],
  ['/webhooks', 'Webhooks'],
  ['/events', 'Events'],
];

function Page({ path }: { path: string }) {
  let params: Record<string, string> | null;
  if (path === '/') return <OverviewPage />;
  if (path === '/licenses') return <LicensesPage />;
  if (path === '/licenses/new') return <IssueLicensePage />;
  if (path === '/licenses/import') return <ImportKeysPage />;
  if ((params = match('/licenses/:id', path))) return <LicenseDetailPage id={params.id ?? ''} />;
  if (path === '/subscriptions') return <SubscriptionsPage />;
  if (path === '/subscriptions/new') return <SubscriptionFormPage />;
  if ((params = match('/subscriptions/:id/edit', path)))
    return <SubscriptionFormPage id={params.id ?? ''} />;
  if ((params = match('/subscriptions/:id', path)))
    return <SubscriptionDetailPage id={params.id ?? ''} />;
  if (path === '/accounts') return <AccountsPage />;
  if ((params = match('/accounts/:id', path))) return <AccountDetailPage id={params.id ?? ''} />;
  if (path === '/products') return <ProductsPage />;
  if (path === '/policies') return <PoliciesPage />;
  if (path === '/policies/new') return <PolicyFormPage key="new" />;
  if ((params = match('/policies/:id/edit', path)))
    return <PolicyFormPage key={params.id} id={params.id ?? ''} />;
  if ((params = match('/policies/:id', path))) return <PolicyDetailPage id={params.id ?? ''} />;
  if (path === '/groups') return <GroupsPage />;
  if (path === '/instances') return <InstancesPage />;
  if ((params = match('/instances/:id', path))) return <InstanceDetailPage id={params.id ?? ''} />;
  if (path === '/webhooks') return <WebhooksPage />;
  if ((params = match('/webhooks/:id', path))) return <WebhookDetailPage id={params.id ?? ''} />;
  if (path === '/events') return <EventsPage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No page at <code>{path}</code>. <Link to="/">Back to the overview</Link>.
      </p>
    </section>
  );
}

export function App() {
  const [token, setTokenState] = useState<string | null>(getToken);
  const [expired, setExpired] = useState(false);
  const { path } = useLocation();

  useEffect(
    () =>
      onUnauthorized(() => {
        // Only a token in use can have expired; a refused sign-in attempt shows its own problem.
        if (getToken() === null) return;
        clearToken();
        setTokenState(null);
        setExpired(true);
      }),
    [],
  );

  useEffect(() => {
    // A sign-in link opened in a tab already on the dashboard changes only the fragment.
    const onHash = () => {
      const fromLink = takeTokenFromFragment();
      if (fromLink === null) return;
      setToken(fromLink);
      setExpired(false);
      setTokenState(fromLink);
    };
    window.addEventListener('hashchange', onHash);
    return () => {
      window.removeEventListener('hashchange', onHash);
    };
  }, []);

  const session = useMemo<Session | null>(() => {
    if (token === null) return null;
    const claims = claimsOf(token) ?? {};
    return {
      token,
      claims,
      isOperator: claims.role === 'operator',
      canManage: claims.role === 'operator' || claims.role === 'admin',
      signOut: () => {
        clearToken();
        setTokenState(null);
        setExpired(false);
      },
    };
  }, [token]);

  useEffect(() => {
    const titles = Object.fromEntries(NAV);
    const section = '/' + (path.split('/')[1] ?? '');
    document.title = `${titles[section] ?? 'Entitle'} · Entitle`;
  }, [path]);

  if (session === null) {
    return (
      <SignInPage
        expired={expired}
        onSignIn={(value) => {
          setToken(value);
          setExpired(false);
          setTokenState(value);
        }}
      />
    );
  }

  const section = '/' + (path.split('/')[1] ?? '');
  return (
    <SessionContext.Provider value={session}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Entitle
        </Link>
        <nav aria-label="Sections">
          {NAV.map(([to, label]) => (
            <Link key={to} to={to} aria-current={section === to ? 'page' : undefined}>
              {label}
            </Link>
          ))}
        </nav>
        <div className="who">
          <span title="Signed in as">
            {session.claims.sub ?? 'unknown'} · {session.claims.role ?? '?'}
          </span>
          <button type="button" onClick={session.signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <Page path={path} />
      </main>
    </SessionContext.Provider>
  );
}
