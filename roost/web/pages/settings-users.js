// Settings → Users: who may log in on the authenticated port, with their role (admin or
// viewer); add, delete, change a password or a role. The server refuses to remove or
// demote the last admin and says so.
import { html, useState } from '../lib/html.js';
import { api, act, useApi } from '../lib/api.js';
import { session } from '../lib/session.js';
import { Card, Dialog, ErrorBox, Icon, Spinner } from '../lib/ui.js';

const ROLES = ['admin', 'viewer'];
const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;
const MIN_PASSWORD = 8;

function AddUser({ onAdded }) {
  const [form, setForm] = useState({ username: '', password: '', role: 'viewer' });
  const valid = USERNAME.test(form.username) && form.password.length >= MIN_PASSWORD;
  const submit = async (event) => {
    event.preventDefault();
    const done = await act(() => api.post('api/users', form), `User ${form.username} added`);
    if (done) { setForm({ username: '', password: '', role: 'viewer' }); onAdded(); }
  };
  return html`<${Card} title="Add a user">
    <form class="settings-row" onSubmit=${submit}>
      <label class="field">User name <input value=${form.username} autocomplete="off" spellcheck="false"
        onInput=${(e) => setForm({ ...form, username: e.target.value.trim() })} /></label>
      <label class="field">Password <input type="password" value=${form.password} autocomplete="new-password"
        placeholder=${`at least ${MIN_PASSWORD} characters`} onInput=${(e) => setForm({ ...form, password: e.target.value })} /></label>
      <label class="field">Role <select value=${form.role} onChange=${(e) => setForm({ ...form, role: e.target.value })}>
        ${ROLES.map((r) => html`<option value=${r}>${r}</option>`)}</select></label>
      <button class="button button-primary" type="submit" disabled=${!valid}><${Icon} name="plus" size=${18} /> Add user</button>
    </form>
  <//>`;
}

function PasswordDialog({ user, onClose }) {
  const [password, setPassword] = useState('');
  const submit = async (event) => {
    event.preventDefault();
    const done = await act(() => api.put(`api/users/${encodeURIComponent(user)}/password`, { password }), `Password of ${user} changed`);
    if (done) onClose();
  };
  return html`<${Dialog} open=${Boolean(user)} title=${`New password for ${user}`} onClose=${onClose}>
    <form class="settings-form" onSubmit=${submit}>
      <label class="field">New password <input type="password" value=${password} autocomplete="new-password"
        onInput=${(e) => setPassword(e.target.value)} /></label>
      <div class="settings-toolbar"><button class="button button-primary" type="submit" disabled=${password.length < MIN_PASSWORD}>Change password</button>
        <button class="button" type="button" onClick=${onClose}>Cancel</button></div>
    </form>
  <//>`;
}

export default function UsersTab() {
  const { data: users, error, reload } = useApi(session.authenticated ? 'api/users' : null);
  const [passwordFor, setPasswordFor] = useState(null);
  const [deleting, setDeleting] = useState(null);
  if (!session.authenticated) {
    return html`<p class="empty">Users log in on Roost's authenticated port (<code>auth.port</code>, 8971 by default);
      this port trusts every client. Open Settings there to manage users.</p>`;
  }
  if (error && !users) return html`<${ErrorBox} error=${error} onRetry=${reload} />`;
  if (!users) return html`<${Spinner} />`;
  const setRole = async (name, role) => { await act(() => api.put(`api/users/${encodeURIComponent(name)}/role`, { role }), `${name} is now ${role}`); reload(); };
  const remove = async () => { await act(() => api.del(`api/users/${encodeURIComponent(deleting)}`), `User ${deleting} deleted`); setDeleting(null); reload(); };
  return html`<section class="settings-users">
    <${Card} title="Users">
      <table class="settings-table">
        <thead><tr><th>User</th><th>Role</th><th></th></tr></thead>
        <tbody>${users.map((u) => html`<tr key=${u.username} data-user=${u.username}>
          <td><strong>${u.username}</strong>${u.username === session.user?.username ? html` <span class="badge">you</span>` : ''}</td>
          <td><select aria-label=${`Role of ${u.username}`} value=${u.role} onChange=${(e) => setRole(u.username, e.target.value)}>
            ${ROLES.map((r) => html`<option value=${r}>${r}</option>`)}</select></td>
          <td class="settings-actions"><button class="button" onClick=${() => setPasswordFor(u.username)}>Password</button>
            <button class="button button-danger" aria-label=${`Delete ${u.username}`} onClick=${() => setDeleting(u.username)}>Delete</button></td>
        </tr>`)}</tbody>
      </table>
    <//>
    <${AddUser} onAdded=${reload} />
    <${PasswordDialog} user=${passwordFor} onClose=${() => setPasswordFor(null)} />
    <${Dialog} open=${Boolean(deleting)} title=${`Delete user ${deleting}?`} onClose=${() => setDeleting(null)}>
      <p>${deleting} will no longer be able to log in.</p>
      <div class="settings-toolbar"><button class="button button-danger" onClick=${remove}>Delete user</button>
        <button class="button" onClick=${() => setDeleting(null)}>Cancel</button></div>
    <//>
  </section>`;
}
