// The login form of the authenticated port. POST api/login sets the session cookie; the
// page then reloads so the server embeds the user.
import { html, useState, useRef, useEffect } from '../lib/html.js';
import { api } from '../lib/api.js';

export const title = 'Log in';

export default function Login() {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const first = useRef(null);
  useEffect(() => first.current?.focus(), []);

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      await api.post('api/login', { user, password });
      window.location.reload(); // keeps the #/page the user asked for
    } catch (failure) {
      setError(failure.status === 401 ? 'Wrong user name or password.'
        : failure.status === 429 ? 'Too many failed logins. Wait a minute, then try again.'
          : failure.message);
      setBusy(false);
    }
  }

  return html`<main class="login-page">
    <form class="login-card" onSubmit=${submit} aria-labelledby="login-title">
      <div class="login-brand"><img src="ui/icon.svg" alt="" width="48" height="48" />
        <h1 id="login-title">Roost</h1></div>
      <p class="muted">Log in to see your cameras.</p>
      <label class="field"><span>User name</span>
        <input ref=${first} name="user" autocomplete="username" required value=${user}
          onInput=${(e) => setUser(e.target.value)} /></label>
      <label class="field"><span>Password</span>
        <input name="password" type="password" autocomplete="current-password" required value=${password}
          onInput=${(e) => setPassword(e.target.value)} /></label>
      ${error && html`<p class="form-error" role="alert">${error}</p>`}
      <button class="button button-primary" type="submit" disabled=${busy}>${busy ? 'Logging in…' : 'Log in'}</button>
      <p class="muted small">The first start logs the generated <code>admin</code> password once; see the server output.</p>
    </form>
  </main>`;
}
