// Web UI of the segmentation platform: talks to the gateway's public API only.
"use strict";

const state = { token: sessionStorage.getItem("token"), user: null };
const $ = (selector) => document.querySelector(selector);

function show(message, isError = false) {
  const el = $("#message");
  el.textContent = message;
  el.className = isError ? "error" : "";
}

function describeError(body, status) {
  if (!body || body.detail === undefined) return `Request failed (${status})`;
  if (Array.isArray(body.detail)) {
    return body.detail.map((e) => `${(e.loc || []).slice(1).join(".")}: ${e.msg}`).join("; ");
  }
  return String(body.detail);
}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(options.json);
  }
  const response = await fetch(path, { ...options, headers });
  const type = response.headers.get("content-type") || "";
  const body = type.includes("application/json") ? await response.json() : await response.text();
  if (response.status === 401 && state.token) {
    logout();
    throw new Error("Your session ended; please sign in again.");
  }
  if (!response.ok) throw new Error(describeError(body, response.status));
  return { body, response };
}

function customerFrom(form) {
  const data = new FormData(form);
  return {
    sex: data.get("sex"),
    age: Number(data.get("age")),
    annual_income: Number(data.get("annual_income")),
    spending_score: Number(data.get("spending_score")),
    purchase_frequency: Number(data.get("purchase_frequency")),
  };
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "–" : String(text);
  row.appendChild(td);
  return td;
}

async function enterApp() {
  const { body } = await api("/auth/me");
  state.user = body;
  $("#whoami").textContent = `${body.username} (${body.role})`;
  $("#session").hidden = false;
  $("#login-view").hidden = true;
  $("#app-view").hidden = false;
  show("");
}

function logout() {
  if (state.token) fetch("/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${state.token}` } });
  state.token = null;
  sessionStorage.removeItem("token");
  $("#session").hidden = true;
  $("#app-view").hidden = true;
  $("#login-view").hidden = false;
}

async function loadProfiles() {
  const { body } = await api("/profiles/?limit=100");
  const tbody = $("#profiles-body");
  tbody.replaceChildren();
  for (const p of body) {
    const row = document.createElement("tr");
    [p.name, p.sex, p.age, p.annual_income, p.spending_score, p.purchase_frequency].forEach((v) => cell(row, v));
    const actions = cell(row, "");
    const predict = document.createElement("button");
    predict.textContent = "Predict";
    predict.onclick = async () => {
      try {
        const { body: r } = await api(`/profiles/${p.id}/predict`, { method: "POST" });
        show(`${p.name}: ${r.cluster_name} (${r.confidence}% confidence)`);
      } catch (err) { show(err.message, true); }
    };
    const remove = document.createElement("button");
    remove.textContent = "Delete";
    remove.onclick = async () => {
      try { await api(`/profiles/${p.id}`, { method: "DELETE" }); await loadProfiles(); } catch (err) { show(err.message, true); }
    };
    actions.append(predict, remove);
    tbody.appendChild(row);
  }
}

async function loadHistory() {
  const { body } = await api("/history?limit=100");
  const tbody = $("#history-body");
  tbody.replaceChildren();
  for (const h of body.history) {
    const row = document.createElement("tr");
    const segment = h.cluster === null ? `batch of ${h.customer_data.batch_size}` : h.cluster_name;
    [new Date(h.created_at).toLocaleString(), segment, h.confidence, h.model_version, h.profile_id].forEach((v) => cell(row, v));
    tbody.appendChild(row);
  }
}

async function loadClusters() {
  const { body } = await api("/clusters");
  $("#clusters-meta").textContent = `Model ${body.model_version}: ${body.n_clusters} segments over ${body.total_customers} customers.`;
  const tbody = $("#clusters-body");
  tbody.replaceChildren();
  for (const c of body.clusters) {
    const row = document.createElement("tr");
    [c.cluster_name, c.size, c.percentage, c.avg_age, c.avg_income, c.avg_spending_score, c.avg_purchase_frequency]
      .forEach((v) => cell(row, typeof v === "number" ? Math.round(v * 100) / 100 : v));
    tbody.appendChild(row);
  }
}

const loaders = { profiles: loadProfiles, history: loadHistory, clusters: loadClusters };

document.querySelectorAll("nav button").forEach((button) => {
  button.onclick = async () => {
    document.querySelectorAll("nav button").forEach((b) => b.classList.toggle("active", b === button));
    document.querySelectorAll(".tab").forEach((t) => { t.hidden = t.id !== `tab-${button.dataset.tab}`; });
    const load = loaders[button.dataset.tab];
    if (load) { try { await load(); } catch (err) { show(err.message, true); } }
  };
});

$("#login-form").onsubmit = async (event) => {
  event.preventDefault();
  const data = new FormData(event.target);
  try {
    const { body } = await api("/auth/login", { method: "POST", json: { username: data.get("username"), password: data.get("password") } });
    state.token = body.access_token;
    sessionStorage.setItem("token", state.token);
    await enterApp();
  } catch (err) { show(err.message, true); }
};

$("#register-form").onsubmit = async (event) => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(event.target));
  try {
    await api("/auth/register", { method: "POST", json: data });
    show("Account created: sign in above.");
  } catch (err) { show(err.message, true); }
};

$("#predict-form").onsubmit = async (event) => {
  event.preventDefault();
  const customer = customerFrom(event.target);
  const profileName = new FormData(event.target).get("profile_name");
  try {
    const { body } = await api("/predict", { method: "POST", json: customer });
    const result = $("#predict-result");
    result.hidden = false;
    result.textContent = `Segment: ${body.cluster_name} · confidence ${body.confidence}% · model ${body.model_version}`;
    if (profileName) {
      await api("/profiles/", { method: "POST", json: { name: profileName, ...customer } });
      show(`Saved profile "${profileName}".`);
    }
  } catch (err) { show(err.message, true); }
};

$("#export-link").onclick = async (event) => {
  event.preventDefault();
  try {
    const response = await fetch("/history/export", { headers: { Authorization: `Bearer ${state.token}` } });
    if (!response.ok) throw new Error(`Export failed (${response.status})`);
    const url = URL.createObjectURL(await response.blob());
    const link = Object.assign(document.createElement("a"), { href: url, download: "history.csv" });
    link.click();
    URL.revokeObjectURL(url);
  } catch (err) { show(err.message, true); }
};

$("#logout").onclick = logout;

if (state.token) enterApp().catch(() => logout());
