// The page: a guest session at once, then a signed-in one; MQTT over a SigV4
// WebSocket from the browser; the sensor's public topics live; the lamp's
// shadow read and changed; every SUBACK and PUBACK shown as the broker sent it.
import config from './config.js';
import mqtt from './vendor/mqtt.esm.js';
import { identityCredentials, loginProvider, register, signIn } from './aws.js';
import { presignUrl } from './sigv4.js';
import { reasonText } from './reason-codes.js';

const RECONNECT_MS = 3000;
const $ = (id) => document.getElementById(id);
const shadowTopic = (suffix) => `$aws/things/${config.lamp}/shadow/${suffix}`;

/** Who is connected: a guest, or a signed-in user with the ID token Cognito takes. */
let session;
let client;
let reconnectTimer;

function log(text) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $('log').prepend(li);
}

function setStatus(state, text) {
  $('status').dataset.state = state;
  $('status').textContent = text;
}

function showSubscription(filter, result, text) {
  let row = document.querySelector(`#subscription-rows tr[data-filter="${CSS.escape(filter)}"]`);
  if (!row) {
    row = document.createElement('tr');
    row.dataset.filter = filter;
    row.append(document.createElement('td'), document.createElement('td'));
    row.cells[0].append(document.createElement('code'));
    row.cells[0].firstChild.textContent = filter;
    $('subscription-rows').append(row);
  }
  row.dataset.result = result;
  row.cells[1].textContent = text;
}

/** Subscribes to one filter and shows the broker's answer: granted QoS, or the reason code of the refusal. */
async function subscribe(filter) {
  showSubscription(filter, 'pending', 'asking…');
  let code;
  try {
    code = (await client.subscribeAsync(filter, { qos: 1 }))[0].qos;
  } catch (err) {
    code = err.packet?.granted?.[0] ?? err.code;
    if (typeof code !== 'number') {
      showSubscription(filter, 'failed', `no answer: ${err.message}`);
      return false;
    }
  }
  const granted = code < 0x80;
  showSubscription(filter, granted ? 'granted' : 'denied', granted ? `granted (QoS ${code})` : `denied: ${reasonText(code)}`);
  log(`SUBSCRIBE ${filter}: ${granted ? 'granted' : `denied (${reasonText(code)})`}`);
  return granted;
}

function showMessage(topic, payload) {
  const li = document.createElement('li');
  const code = document.createElement('code');
  code.textContent = topic;
  li.append(code, ` ${new TextDecoder().decode(payload)}`);
  $('messages').prepend(li);
}

function showLamp(state) {
  if (state?.desired?.light !== undefined) $('lamp-desired').textContent = String(state.desired.light);
  if (state?.reported?.light !== undefined) $('lamp-reported').textContent = String(state.reported.light);
}

function onMessage(topic, payload) {
  if (topic === shadowTopic('get/accepted')) return showLamp(JSON.parse(new TextDecoder().decode(payload)).state);
  if (topic === shadowTopic('update/documents')) return showLamp(JSON.parse(new TextDecoder().decode(payload)).current?.state);
  if (topic === shadowTopic('update/rejected')) {
    const { code, message } = JSON.parse(new TextDecoder().decode(payload));
    $('lamp-result').textContent = `the shadow refused the update: ${code} ${message}`;
    return;
  }
  showMessage(topic, payload);
}

/** Asks the lamp's shadow for `light` ("on" or "off") as its desired state, and shows the broker's PUBACK. */
async function setLamp(light) {
  $('lamp-result').textContent = `asking for ${light}…`;
  try {
    await client.publishAsync(shadowTopic('update'), JSON.stringify({ state: { desired: { light } } }), { qos: 1 });
    $('lamp-result').textContent = `desired ${light}: accepted by the broker`;
  } catch (err) {
    $('lamp-result').textContent = `refused: ${typeof err.code === 'number' ? reasonText(err.code) : err.message}`;
  }
}

function disconnect() {
  clearTimeout(reconnectTimer);
  if (!client) return;
  const old = client;
  client = undefined;
  old.removeAllListeners();
  old.on('error', () => {});
  old.end(true);
}

/** Fresh credentials for the session (new ones when the old expire), a fresh URL, a new connection. */
async function connect() {
  disconnect();
  if (!session.credentials || session.credentials.expiration - Date.now() < 60_000) {
    session.credentials = await identityCredentials(config, session.logins);
  }
  const { identityId } = session.credentials;
  $('identity').textContent = `${session.username ? `signed in as ${session.username}` : 'a guest'}: Cognito identity ${identityId}`;
  // The identity's policy allows its id and <id>-<suffix>: a suffix per tab, so two tabs do not take over each other's connection.
  const clientId = `${identityId}-web-${Math.random().toString(16).slice(2, 6)}`;
  const url = await presignUrl({ url: config.iotEndpoint, region: config.region, credentials: session.credentials });
  setStatus('connecting', `connecting as ${clientId}…`);
  const c = mqtt.connect(url, { protocolVersion: 5, clientId, reconnectPeriod: 0, connectTimeout: 10_000, clean: true });
  client = c;
  c.on('connect', () => void onConnected(c, clientId));
  c.on('message', onMessage);
  c.on('error', (err) => log(`error: ${typeof err.code === 'number' ? reasonText(err.code) : err.message}`));
  c.on('disconnect', (packet) => log(`DISCONNECT from the broker: ${reasonText(packet.reasonCode ?? 0)}`));
  c.on('close', () => {
    if (client !== c) return;
    setStatus('disconnected', 'disconnected: trying again in a moment (see the log, and iotctl local logs)');
    reconnectTimer = setTimeout(() => void connect().catch(failed), RECONNECT_MS);
  });
}

async function onConnected(c, clientId) {
  setStatus('connected', `connected as ${clientId}${session.username ? ` (${session.username})` : ' (guest)'}`);
  log(`CONNACK: connected as ${clientId}`);
  const signedIn = Boolean(session.username);
  await subscribe(config.publicTopics);
  // Guests are refused these (the unauthenticated role reads public topics only): the table shows the broker's refusal.
  const replies = await subscribe(shadowTopic('get/accepted'));
  const changes = await subscribe(shadowTopic('update/documents'));
  await subscribe(shadowTopic('update/rejected'));
  $('lamp-on').disabled = $('lamp-off').disabled = !signedIn;
  if (replies && changes && client === c) await c.publishAsync(shadowTopic('get'), '', { qos: 1 }).catch((err) => log(`shadow get refused: ${err.message}`));
}

function failed(err) {
  setStatus('failed', `failed: ${err.code ? `${err.code}: ` : ''}${err.message}`);
  log(`failed: ${err.message}`);
}

async function startSession(next) {
  session = next;
  $('signin').hidden = Boolean(session.username);
  $('signout').hidden = !session.username;
  $('subscription-rows').replaceChildren();
  await connect();
}

$('signin').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const username = String(form.get('username'));
  void (async () => {
    setStatus('connecting', `signing in ${username}…`);
    const logins = { [loginProvider(config)]: await signIn(config, username, String(form.get('password'))) };
    const credentials = await identityCredentials(config, logins);
    // AWS IoT lets a signed-in identity do nothing until an IoT policy is attached to it.
    if (config.registerUrl) {
      const r = await register(config, credentials);
      log(`registered ${r.identityId}: ${r.alreadyRegistered ? 'already had' : 'attached'} ${r.policyName}`);
    }
    await startSession({ username, logins, credentials });
  })().catch(failed);
});

$('signout').addEventListener('click', () => void startSession({}).catch(failed));
$('lamp-on').addEventListener('click', () => void setLamp('on'));
$('lamp-off').addEventListener('click', () => void setLamp('off'));
$('subscribe').addEventListener('submit', (event) => {
  event.preventDefault();
  const filter = String(new FormData(event.target).get('filter'));
  if (client?.connected) void subscribe(filter);
});

$('public-topics').textContent = config.publicTopics;
$('lamp-name').textContent = config.lamp;
void startSession({}).catch(failed);
