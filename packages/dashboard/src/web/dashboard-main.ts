/**
 * The operator dashboard: sign in with a token, receive `snapshot`s over the
 * `/dashboard` socket.io namespace, render them. The client emits nothing;
 * operator actions go over HTTP (controls.ts).
 */
import { io, type Socket } from 'socket.io-client';
import { msgpackrParser } from '@cohortfl/wire/socketio-parser';
import type { DashboardSnapshot } from '../types.js';
import { createChartSet, type ChartSet } from './chart-set.js';
import { syncServerClock, tick } from './clock.js';
import { createControls } from './controls.js';
import { byId, setText } from './dom.js';
import { renderRun } from './run-view.js';
import { renderRuns } from './runs-list.js';
import { renderSites } from './sites-view.js';

const TOKEN_KEY = 'cohortfl.dashboard.token';
type Connection = 'live' | 'connecting…' | 'reconnecting…' | 'signed out';

let socket: Socket | null = null;
let charts: ChartSet | null = null;
const controls = createControls(() => sessionStorage.getItem(TOKEN_KEY));

function setConnection(state: Connection): void {
  const el = byId('connection');
  setText(el, state);
  el.dataset['state'] = state === 'live' ? 'live' : state === 'signed out' ? 'off' : 'wait';
}

function showLogin(message: string): void {
  socket?.disconnect();
  socket = null;
  sessionStorage.removeItem(TOKEN_KEY);
  setConnection('signed out');
  setText(byId('role'), '');
  byId('app-view').hidden = true;
  byId('logout').hidden = true;
  byId('login-view').hidden = false;
  const error = byId('login-error');
  setText(error, message);
  error.hidden = message === '';
  byId<HTMLInputElement>('token').focus();
}

function render(snapshot: DashboardSnapshot): void {
  syncServerClock(snapshot.at);
  setText(byId('role'), snapshot.role);
  setText(byId('coordinator'), `coordinator ${snapshot.coordinator.fingerprint}`);
  byId('coordinator').title = `public key ${snapshot.coordinator.publicKey}`;
  renderSites(byId('sites-body'), snapshot.sites);
  renderRun(snapshot.run);
  renderRuns(byId('runs-body'), snapshot.runs, snapshot.run?.id ?? null);
  controls.render(snapshot);
  if (charts) charts.update(snapshot.series);
  else charts = createChartSet(document, snapshot.series);
}

function connect(token: string): void {
  socket?.disconnect();
  byId('login-view').hidden = true;
  byId('app-view').hidden = false;
  byId('logout').hidden = false;
  setConnection('connecting…');
  const s = io('/dashboard', { auth: { token }, transports: ['websocket'], parser: msgpackrParser });
  socket = s;
  s.on('connect', () => setConnection('live'));
  s.on('snapshot', (snapshot: DashboardSnapshot) => render(snapshot));
  s.on('connect_error', (err: Error) => {
    if (err.message === 'unauthorized') return showLogin('That token was not accepted. Check it and sign in again.');
    setConnection('reconnecting…');
    // Transport errors are retried by socket.io; a refusal by the namespace is not, so retry it here.
    if (!s.active) setTimeout(() => { if (socket === s) s.connect(); }, 3000);
  });
  s.on('disconnect', (reason) => {
    // A server-side disconnect is not retried by socket.io; everything else reconnects by itself.
    if (reason === 'io server disconnect') showLogin('The coordinator ended this session. Sign in again.');
    else if (reason !== 'io client disconnect') setConnection('reconnecting…');
  });
}

function start(): void {
  byId<HTMLFormElement>('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = byId<HTMLInputElement>('token');
    const token = input.value.trim();
    if (token === '') return showLogin('Enter the access token.');
    input.value = '';
    sessionStorage.setItem(TOKEN_KEY, token);
    connect(token);
  });
  byId('logout').addEventListener('click', () => showLogin(''));
  setInterval(() => tick(document), 1000);
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) connect(saved);
  else showLogin('');
}

start();
