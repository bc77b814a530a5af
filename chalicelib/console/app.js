// 微淘后台: the merchant, moderator and operator consoles. Plain modern JS, no build step;
// every call goes to this API with the signed-in user's token (API.md).
"use strict";

const TOKEN_KEY = "weitao.console.token";
const PKCE_KEY = "weitao.console.pkce";
const ACCOUNT_KEY = "weitao.console.account";

const TYPE_NAMES = {
  new_product: "上新", video: "视频", article: "资讯攻略", member_benefit: "会员权益", styling: "穿搭技巧",
  poll: "问答投票", floor_contest: "盖楼活动", product_review: "产品测评", buyer_show: "买家秀", live: "直播",
  coupon: "优惠券/活动权益",
};
const FORMAT_NAMES = { nine_grid: "九宫格图文", long_article: "长文", short_video: "短视频", live_stream: "直播" };
const STATUS_NAMES = {
  scheduled: "定时待发", pending_review: "审核中", published: "已发布", rejected: "已驳回", removed: "已下架",
  running: "进行中", done: "已完成",
};
const OUTCOME_NAMES = { approve: "通过", reject: "驳回", review: "转人工" };
const HOOK_NAMES = { account_standing: "账号状态", banned_words: "违禁词", plagiarism: "内容抄袭", spam: "垃圾信息", media: "媒体规则", moderator: "审核员" };
const FIELD_NAMES = {
  format: "版式", title: "标题", text: "正文", images: "图片（九宫格 1–9 张）", cover: "封面图", video: "视频",
  url: "视频地址", duration_s: "时长（秒）", products: "商品 ID", poll: "投票", question: "问题", options: "选项",
  closes_at: "截止时间", contest: "盖楼规则", winning_floors: "中奖楼层", every: "每隔 N 楼中奖", ends_at: "结束时间",
  coupon: "优惠券", amount: "面额（元）", threshold: "使用门槛（元）", quantity: "发放数量", expires_at: "有效期至",
  live: "直播", starts_at: "开播时间", stream_url: "直播流地址", topics: "话题（#话题#）", audience: "定向推送",
  groups: "粉丝分组（不填则推送全部粉丝）", publish_at: "定时发布（不填则立即发布）", product_id: "商品 ID",
};
const COUNTER_NAMES = {
  impressions: "曝光", reads: "阅读", likes: "点赞", comments: "评论", votes: "投票", buyer_shows: "买家秀",
  new_followers: "新增粉丝", lost_followers: "取关", posts: "发布", system_posts: "系统上新",
};
const TIER_STATUS = { poor: "差", good: "良", excellent: "优" };
const LABELS = { preferred_store: "优选好店", certified_influencer: "淘宝达人", official: "官方账号" };
const CONFIG_NAMES = { banned_words: "违禁词", spam: "垃圾信息规则", hot_list: "热榜权重" };

// --- small DOM helpers -------------------------------------------------------------------------

let uid = 0;
const nextId = (prefix) => `${prefix}-${++uid}`;

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// An input/select/textarea with a visible label tied to it.
function labelled(text, control, { required = false, hint } = {}) {
  control.id = control.id || nextId("f");
  return h("div", { class: "field" },
    h("label", { for: control.id, class: required ? "req" : null }, text), control,
    hint ? h("span", { class: "muted" }, hint) : null);
}

const pill = (value, names = STATUS_NAMES) => h("span", { class: `pill ${value}` }, names[value] || value);
const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false }) : "—");
const snippet = (post) => post.title || (post.text || post.poll?.question || "").slice(0, 60) || TYPE_NAMES[post.type];

// --- the API ------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "http_error";
    this.details = error.details || [];
    this.requestId = error.request_id || null;
  }
}

async function api(method, path, body, { headers = {}, signal, token = state.token } = {}) {
  const init = { method, headers: { ...headers }, signal };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { error: { code: "network", message: `无法连接服务器：${error.message}` } });
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    if (response.status === 401 && token && token === state.token) signOut("登录已失效，请重新登录");
    throw new ApiError(response.status, data);
  }
  return { data, headers: response.headers, status: response.status };
}
const get = async (path, opts) => (await api("GET", path, undefined, opts)).data;

// The one way an API error reaches the user: code, message, each detail, request id.
function errorBox(error) {
  const box = h("div", { class: "error", role: "alert" });
  if (!(error instanceof ApiError)) {
    box.textContent = `出错了：${error && error.message ? error.message : error}`;
    return box;
  }
  box.append(h("strong", {}, `${error.status || ""} ${error.code}`), "：", error.message);
  if (error.details.length) {
    box.append(h("ul", {}, error.details.map((d) => h("li", {}, `${d.pointer || "/"}：${d.message}`))));
  }
  if (error.requestId) box.append(h("div", { class: "muted" }, `请求编号 ${error.requestId}`));
  return box;
}

function showError(slot, error) {
  slot.replaceChildren(errorBox(error));
}

// Run an action from a button/form: disable it, show the API's error in ``slot``, never swallow it.
async function act(slot, fn, button) {
  if (button) button.disabled = true;
  slot.replaceChildren();
  try {
    return await fn();
  } catch (error) {
    showError(slot, error);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

// --- sign-in ------------------------------------------------------------------------------------

const state = { token: null, claims: null, roles: [], config: null, accounts: [], account: null, schemas: null };

function decodeClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(escape(atob(part + "=".repeat((4 - (part.length % 4)) % 4))));
    return JSON.parse(json);
  } catch {
    return null;
  }
}

function rolesOf(claims) {
  const roles = new Set();
  for (const claim of ["roles", "cognito:groups"]) {
    const value = claims[claim];
    if (Array.isArray(value)) value.forEach((r) => roles.add(String(r)));
    else if (typeof value === "string") value.replace(/[[\],]/g, " ").split(/\s+/).filter(Boolean).forEach((r) => roles.add(r));
  }
  return [...roles];
}

function useToken(token) {
  const claims = decodeClaims(token);
  if (!claims || !claims.sub) return false;
  state.token = token;
  state.claims = claims;
  state.roles = rolesOf(claims);
  sessionStorage.setItem(TOKEN_KEY, token);
  return true;
}

function signOut(message) {
  stopRealtime();
  state.token = null;
  state.claims = null;
  sessionStorage.removeItem(TOKEN_KEY);
  renderShell();
  renderSignIn(message);
}

const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
  .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const consoleUrl = () => `${location.origin}${location.pathname}`;

async function startHostedUi() {
  const { domain, client_id: clientId } = state.config.cognito;
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const stateParam = base64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state: stateParam }));
  const query = new URLSearchParams({
    response_type: "code", client_id: clientId, redirect_uri: consoleUrl(), scope: "openid phone",
    code_challenge_method: "S256", code_challenge: challenge, state: stateParam,
  });
  location.assign(`${domain}/oauth2/authorize?${query}`);
}

async function finishHostedUi(params) {
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "null");
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, "", location.pathname);
  if (!saved || saved.state !== params.get("state")) throw new Error("登录状态不匹配，请重新登录");
  const { domain, client_id: clientId } = state.config.cognito;
  const response = await fetch(`${domain}/oauth2/token`, {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: clientId, code: params.get("code"),
      redirect_uri: consoleUrl(), code_verifier: saved.verifier }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !body.id_token) throw new Error(`登录失败：${body.error || response.status}`);
  // The id token carries cognito:groups (the roles) and is what the API's authorizer accepts.
  if (!useToken(body.id_token)) throw new Error("登录失败：令牌无效");
}

function renderSignIn(message) {
  const main = document.getElementById("main");
  const slot = h("div");
  const card = h("section", { class: "card signin", "aria-labelledby": "signin-title" },
    h("h2", { id: "signin-title" }, "登录"), message ? h("p", { class: "error", role: "alert" }, message) : null, slot);
  const config = state.config || {};
  if (config.local_tokens) {
    const user = h("input", { type: "text", name: "user_id", autocomplete: "username", required: true, value: "merchant-1" });
    const moderator = h("input", { type: "checkbox", name: "moderator", id: "role-moderator" });
    const operator = h("input", { type: "checkbox", name: "operator", id: "role-operator" });
    const errors = h("div");
    const form = h("form", { class: "stack", "aria-label": "本地开发登录" },
      h("p", { class: "muted" }, "本地开发登录（AUTH_MODE=hs256）：为任意用户签发测试令牌。"),
      labelled("用户 ID", user, { required: true }),
      h("div", { class: "row" }, h("label", {}, moderator, " 审核员"), h("label", {}, operator, " 运营")),
      h("button", { type: "submit" }, "登录"), errors);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const roles = [moderator.checked && "moderator", operator.checked && "operator"].filter(Boolean);
      act(errors, async () => {
        const { data } = await api("POST", "/local/tokens", { user_id: user.value.trim(), roles }, { token: null });
        useToken(data.token);
        boot();
      }, form.querySelector("button"));
    });
    slot.append(form);
  } else if (config.cognito && config.cognito.domain && config.cognito.client_id) {
    slot.append(h("button", { type: "button", onclick: () => startHostedUi() }, "使用淘宝账号登录"));
  } else {
    slot.append(h("p", {}, "请使用带令牌的链接打开后台：/console#token=…"));
  }
  main.replaceChildren(card);
}

// --- shell and routing --------------------------------------------------------------------------

const SCREENS = {
  merchant: { name: "商家后台", role: null, tabs: {
    compose: ["发布", renderCompose], posts: ["内容", renderPosts], stats: ["数据", renderStats],
    fans: ["粉丝", renderFans], grade: ["等级", renderGrade], notifications: ["消息", renderNotifications],
    accounts: ["账号", renderAccounts] } },
  moderator: { name: "审核台", role: "moderator", tabs: {
    queue: ["审核队列", renderQueue], takedown: ["下架", renderTakedown], blackroom: ["小黑屋", renderBlackroom],
    audit: ["审计记录", renderAudit], words: ["违禁词", (m) => renderConfig(m, ["banned_words"])] } },
  operator: { name: "运营台", role: "operator", tabs: {
    labels: ["认证标签", renderLabels], picks: ["热榜精选", renderPicks], grading: ["分层评级", renderGradingRuns],
    suggestions: ["推荐计算", renderSuggestionRuns], config: ["运行配置", (m) => renderConfig(m, ["spam", "hot_list", "banned_words"])] } },
};

function route() {
  const [, area = "merchant", tab] = (location.hash.match(/^#\/(\w+)(?:\/(\w+))?/) || []);
  const screen = SCREENS[area] && (!SCREENS[area].role || state.roles.includes(SCREENS[area].role)) ? area : "merchant";
  const tabs = Object.keys(SCREENS[screen].tabs);
  return { area: screen, tab: tabs.includes(tab) ? tab : tabs[0] };
}

function renderShell() {
  const nav = document.getElementById("nav");
  const signedIn = Boolean(state.token);
  document.getElementById("signout").hidden = !signedIn;
  document.getElementById("badge").hidden = !signedIn;
  document.getElementById("whoami").textContent = signedIn
    ? `${state.claims.sub}${state.roles.length ? `（${state.roles.map((r) => ({ moderator: "审核员", operator: "运营" })[r] || r).join("、")}）` : ""}`
    : "";
  nav.replaceChildren();
  if (!signedIn) return;
  const { area } = route();
  for (const [key, screen] of Object.entries(SCREENS)) {
    if (screen.role && !state.roles.includes(screen.role)) continue;
    nav.append(h("a", { href: `#/${key}`, "aria-current": key === area ? "page" : null }, screen.name));
  }
}

let renderSeq = 0;
async function render() {
  if (!state.token) return;
  renderShell();
  const { area, tab } = route();
  const seq = ++renderSeq;
  const main = document.getElementById("main");
  const screen = SCREENS[area];
  const sub = h("nav", { class: "subnav", "aria-label": screen.name },
    Object.entries(screen.tabs).map(([key, [label]]) =>
      h("a", { href: `#/${area}/${key}`, "aria-current": key === tab ? "page" : null }, label)));
  const body = h("div", { id: "screen", "data-screen": `${area}/${tab}` });
  main.replaceChildren(sub, body);
  try {
    await screen.tabs[tab][1](body);
  } catch (error) {
    if (seq === renderSeq) body.append(errorBox(error));
  }
  if (seq === renderSeq) body.dataset.ready = "true";
}

// --- merchant: accounts -------------------------------------------------------------------------

async function loadAccounts() {
  state.accounts = (await get("/me/accounts?limit=100")).items;
  const saved = sessionStorage.getItem(ACCOUNT_KEY);
  state.account = state.accounts.find((a) => a.account_id === saved) || state.accounts[0] || null;
}

// The account switcher every merchant screen starts with; null when the user has no account yet.
async function accountBar(main) {
  if (!state.accounts.length) await loadAccounts();
  if (!state.account) {
    main.append(h("p", {}, "你还没有微淘账号。"), h("a", { href: "#/merchant/accounts" }, "创建账号"));
    return null;
  }
  const select = h("select", { name: "account", onchange: (event) => {
    state.account = state.accounts.find((a) => a.account_id === event.target.value);
    sessionStorage.setItem(ACCOUNT_KEY, state.account.account_id);
    render();
  } }, state.accounts.map((a) => h("option", { value: a.account_id, selected: a.account_id === state.account.account_id },
    `${a.display_name}（@${a.handle}）`)));
  main.append(h("div", { class: "row" }, labelled("当前账号", select),
    h("span", { class: "muted" }, `${state.account.tier}${state.account.tier_status ? ` · ${TIER_STATUS[state.account.tier_status] || state.account.tier_status}` : ""} · 粉丝 ${state.account.follower_count}`)));
  return state.account;
}

async function renderAccounts(main) {
  await loadAccounts();
  main.append(h("h2", {}, "我的账号"));
  main.append(h("ul", {}, state.accounts.map((a) => h("li", {}, `${a.display_name}（@${a.handle}，${a.kind}，${a.category}）`))));
  const fields = {
    handle: h("input", { type: "text", name: "handle", required: true }),
    display_name: h("input", { type: "text", name: "display_name", required: true }),
    kind: h("select", { name: "kind" }, h("option", { value: "merchant" }, "商家"), h("option", { value: "influencer" }, "达人"),
      h("option", { value: "official" }, "官方")),
    category: h("input", { type: "text", name: "category", required: true }),
    fan_nickname: h("input", { type: "text", name: "fan_nickname" }),
  };
  const names = { handle: "账号（handle）", display_name: "名称", kind: "类型", category: "类目", fan_nickname: "粉丝昵称" };
  const errors = h("div");
  const form = h("form", { class: "card stack", "aria-label": "创建账号" }, h("h3", {}, "创建账号"),
    Object.entries(fields).map(([key, control]) => fieldWithError(names[key], control, `/${key}`, key !== "fan_nickname")),
    h("button", { type: "submit" }, "创建"), errors);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = Object.fromEntries(Object.entries(fields).map(([k, c]) => [k, c.value.trim()]).filter(([, v]) => v));
    act(errors, async () => {
      clearFieldErrors(form);
      try {
        const { data } = await api("POST", "/accounts", body);
        sessionStorage.setItem(ACCOUNT_KEY, data.account_id);
        state.accounts = [];
        location.hash = "#/merchant/compose";
      } catch (error) {
        placeFieldErrors(form, error);
        throw error;
      }
    }, form.querySelector("button[type=submit]"));
  });
  main.append(form);
}

// --- field errors: the API names fields by JSON pointer --------------------------------------------

function fieldWithError(text, control, pointer, required) {
  const wrap = labelled(text, control, { required });
  wrap.dataset.pointer = pointer;
  const err = h("p", { class: "field-error", id: nextId("err"), role: "alert" });
  control.setAttribute("aria-describedby", err.id);
  wrap.append(err);
  return wrap;
}

function clearFieldErrors(form) {
  form.querySelectorAll(".field-error").forEach((e) => { e.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
}

// Each detail goes next to the field its pointer names (or the nearest enclosing one).
function placeFieldErrors(form, error) {
  if (!(error instanceof ApiError)) return 0;
  const fields = [...form.querySelectorAll("[data-pointer]")];
  let placed = 0;
  for (const detail of error.details) {
    const pointer = detail.pointer || "";
    let best = null;
    for (const field of fields) {
      const p = field.dataset.pointer;
      if (p && (pointer === p || pointer.startsWith(`${p}/`)) && (!best || p.length > best.dataset.pointer.length)) best = field;
    }
    if (!best) continue;
    const slot = best.querySelector(":scope > .field-error");
    slot.textContent = slot.textContent ? `${slot.textContent}；${detail.message}` : detail.message;
    const control = best.querySelector(":scope > input, :scope > select, :scope > textarea, :scope > .list");
    if (control) control.setAttribute("aria-invalid", "true");
    placed += 1;
  }
  return placed;
}

// --- merchant: the composer, generated from the post type's JSON schema -----------------------------

const isTimestamp = (schema) => schema.format === "date-time";

// RFC 3339 in Asia/Shanghai from a datetime-local value (the platform's calendar).
const toRfc3339 = (local) => (local.length === 16 ? `${local}:00+08:00` : `${local}+08:00`);

// One form control for ``schema`` at ``pointer``; returns {el, collect()} where collect gives the
// JSON value or undefined when left empty.
function schemaField(key, schema, pointer, required) {
  const label = FIELD_NAMES[key] || key;
  if (schema.type === "object" && schema.properties) {
    const children = Object.entries(schema.properties).map(([k, s]) =>
      [k, schemaField(k, s, `${pointer}/${k}`, (schema.required || []).includes(k))]);
    const err = h("p", { class: "field-error", id: nextId("err"), role: "alert" });
    const el = h("fieldset", { dataset: { pointer } }, h("legend", { class: required ? "req" : null }, label),
      err, ...children.map(([, c]) => c.el));
    el.classList.add("field");
    // fieldset > legend + error slot: the error finder looks for ":scope > .field-error"
    return { el, collect: () => {
      const out = {};
      for (const [k, c] of children) { const v = c.collect(); if (v !== undefined) out[k] = v; }
      return Object.keys(out).length ? out : undefined;
    } };
  }
  if (schema.type === "array") return listField(key, label, schema, pointer, required);
  let control;
  let read;
  if (schema.enum) {
    control = h("select", { name: key }, required ? null : h("option", { value: "" }, "（不填）"),
      schema.enum.map((v) => h("option", { value: v }, FORMAT_NAMES[v] || v)));
    read = () => control.value || undefined;
  } else if (schema.type === "boolean") {
    control = h("input", { type: "checkbox", name: key });
    read = () => (control.checked ? true : undefined);
  } else if (schema.type === "integer" || schema.type === "number") {
    control = h("input", { type: "number", name: key, step: schema.type === "integer" ? "1" : "any",
      min: schema.minimum, max: schema.maximum });
    read = () => (control.value === "" ? undefined : Number(control.value));
  } else if (isTimestamp(schema)) {
    control = h("input", { type: "datetime-local", name: key });
    read = () => (control.value ? toRfc3339(control.value) : undefined);
  } else if (key === "text") {
    control = h("textarea", { name: key, maxlength: schema.maxLength });
    read = () => control.value.trim() || undefined;
  } else {
    control = h("input", { type: (schema.pattern || "").includes("https") ? "url" : "text", name: key,
      maxlength: schema.maxLength, placeholder: (schema.pattern || "").includes("https") ? "https://" : null });
    read = () => control.value.trim() || undefined;
  }
  return { el: fieldWithError(label, control, pointer, required), collect: read };
}

// A list of values (images, options, floors, topics, products, groups): one labelled input per item.
function listField(key, label, schema, pointer, required) {
  const items = schema.items || {};
  const numeric = items.type === "integer" || items.type === "number";
  const isImage = key === "images";
  const list = h("div", { class: "list", role: "group", "aria-label": label });
  const wrap = h("div", { class: "field", dataset: { pointer } },
    h("span", { class: `lbl${required ? " req" : ""}` }, label), list);
  const err = h("p", { class: "field-error", id: nextId("err"), role: "alert" });
  list.setAttribute("aria-describedby", err.id);
  const max = schema.maxItems || 50;
  const addRow = (value = "") => {
    const n = list.children.length + 1;
    const input = h("input", { type: numeric ? "number" : (isImage ? "url" : "text"), value,
      "aria-label": `${label} 第 ${n} 项`, placeholder: isImage ? "https://" : (key === "topics" ? "#话题#" : null) });
    const row = h("div", { class: "list-row" });
    if (isImage) {
      const thumb = h("img", { class: "thumb", alt: `图片 ${n} 预览` });
      const preview = () => { if (/^https:\/\//.test(input.value)) thumb.src = input.value; else thumb.removeAttribute("src"); };
      input.addEventListener("change", preview);
      row.append(thumb);
    }
    row.append(input, h("button", { type: "button", class: "secondary", "aria-label": `删除${label}第 ${n} 项`,
      onclick: () => { row.remove(); relabel(); } }, "删除"));
    list.append(row);
    addButton.disabled = list.children.length >= max;
  };
  const relabel = () => {
    [...list.children].forEach((row, i) => row.querySelector("input").setAttribute("aria-label", `${label} 第 ${i + 1} 项`));
    addButton.disabled = list.children.length >= max;
  };
  const addButton = h("button", { type: "button", class: "secondary", onclick: () => addRow() }, `添加${label.replace(/（.*$/, "")}`);
  for (let i = 0; i < Math.max(required ? schema.minItems || 1 : 1, 1); i += 1) addRow();
  wrap.append(addButton, err);
  return { el: wrap, collect: () => {
    const values = [...list.querySelectorAll("input")].map((i) => i.value.trim()).filter((v) => v !== "")
      .map((v) => (numeric ? Number(v) : v));
    return values.length ? values : undefined;
  } };
}

async function renderCompose(main) {
  const account = await accountBar(main);
  if (!account) return;
  if (!state.schemas) state.schemas = await get("/schemas/posts", { token: null });
  const typeSelect = h("select", { name: "type", id: "post-type" },
    state.schemas.types.map((t) => h("option", { value: t }, `${TYPE_NAMES[t] || t}（${t}）`)));
  const fieldsSlot = h("div", { class: "stack" });
  const errors = h("div", { id: "compose-errors" });
  const result = h("div", { role: "status" });
  let fields = [];
  const build = () => {
    const schema = state.schemas.schemas[typeSelect.value];
    fields = Object.entries(schema.properties).filter(([k]) => k !== "type")
      .map(([k, s]) => [k, schemaField(k, s, `/${k}`, (schema.required || []).includes(k))]);
    fieldsSlot.replaceChildren(h("p", { class: "muted" }, schema.title || ""), ...fields.map(([, f]) => f.el));
  };
  typeSelect.addEventListener("change", () => { errors.replaceChildren(); build(); });
  const form = h("form", { class: "card stack", "aria-label": "发布内容", novalidate: true },
    fieldWithError("内容类型", typeSelect, "/type", true), fieldsSlot,
    h("div", { class: "row" }, h("button", { type: "submit" }, "提交")), errors, result);
  let idempotencyKey = crypto.randomUUID();
  form.addEventListener("input", () => { idempotencyKey = crypto.randomUUID(); });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = { type: typeSelect.value };
    for (const [k, f] of fields) { const v = f.collect(); if (v !== undefined) body[k] = v; }
    clearFieldErrors(form);
    result.replaceChildren();
    act(errors, async () => {
      try {
        const { data } = await api("POST", `/accounts/${encodeURIComponent(account.account_id)}/posts`, body,
          { headers: { "Idempotency-Key": idempotencyKey } });
        result.replaceChildren(h("p", { class: "ok" }, "已提交，当前状态：", pill(data.status), " ",
          h("a", { href: "#/merchant/posts" }, "查看内容列表")));
        idempotencyKey = crypto.randomUUID();
      } catch (error) {
        placeFieldErrors(form, error);
        throw error;
      }
    }, form.querySelector("button[type=submit]"));
  });
  build();
  main.append(form);
}

// --- merchant: posts, stats, fans, grade ---------------------------------------------------------

function verdictList(results) {
  if (!results || !results.length) return h("p", { class: "muted" }, "暂无审核结果");
  return h("ul", { class: "verdicts", "aria-label": "各审核环节结果" }, results.map((v) =>
    h("li", {}, h("b", {}, HOOK_NAMES[v.hook] || v.hook), "：", pill(v.outcome, OUTCOME_NAMES),
      v.reason ? ` ${v.reason}` : "", v.message ? h("span", { class: "muted" }, ` — ${v.message}`) : "")));
}

async function renderPosts(main) {
  const account = await accountBar(main);
  if (!account) return;
  const list = h("div", { id: "posts" });
  const errors = h("div");
  let cursor = null;
  const more = h("button", { type: "button", class: "secondary", hidden: true, onclick: () => load() }, "加载更多");
  const load = () => act(errors, async () => {
    const query = new URLSearchParams({ limit: "20", ...(cursor ? { cursor } : {}) });
    const page = await get(`/accounts/${encodeURIComponent(account.account_id)}/posts?${query}`);
    for (const post of page.items) list.append(postCard(post, errors));
    if (!page.items.length && !list.children.length) list.append(h("p", { class: "muted" }, "还没有内容"));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  }, more);
  main.append(h("div", { class: "row" }, h("h2", {}, "内容"),
    h("button", { type: "button", class: "secondary", onclick: () => render() }, "刷新")), errors, list, more);
  await load();
}

function postCard(post, errors) {
  const card = h("article", { class: "card post", dataset: { postId: post.post_id, status: post.status } },
    h("div", { class: "row" }, pill(post.status), h("b", {}, snippet(post)),
      h("span", { class: "muted" }, `${TYPE_NAMES[post.type] || post.type} · ${fmtTime(post.published_at || post.publish_at || post.created_at)}`)),
    post.reject_reason ? h("p", { class: "error" }, `驳回原因：${post.reject_reason}`) : null,
    h("p", { class: "muted" }, `阅读 ${post.reads} · 点赞 ${post.likes} · 评论 ${post.comments}`),
    verdictList(post.moderation));
  if (post.status === "published") {
    card.append(h("button", { type: "button", class: "danger", onclick: (event) => act(errors, async () => {
      await api("DELETE", `/posts/${encodeURIComponent(post.post_id)}`);
      card.replaceWith(postCard({ ...post, status: "removed" }, errors));
    }, event.target) }, "下架"));
  }
  return card;
}

// A bar chart as inline SVG (no library): values with labels under each bar.
function barChart(title, labels, values, { alt = false, height = 140 } = {}) {
  const ns = "http://www.w3.org/2000/svg";
  const width = 600;
  const max = Math.max(1, ...values);
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height + 30}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${title}：${labels.map((l, i) => `${l} ${values[i]}`).join("，")}`);
  const step = width / Math.max(labels.length, 1);
  labels.forEach((label, i) => {
    const barHeight = (values[i] / max) * height;
    const rect = document.createElementNS(ns, "rect");
    Object.entries({ x: i * step + step * 0.15, y: height - barHeight + 12, width: step * 0.7, height: barHeight,
      class: alt ? "bar alt" : "bar" }).forEach(([k, v]) => rect.setAttribute(k, v));
    const tip = document.createElementNS(ns, "title");
    tip.textContent = `${label}：${values[i]}`;
    rect.append(tip);
    const value = document.createElementNS(ns, "text");
    Object.entries({ x: i * step + step / 2, y: height - barHeight + 9, "text-anchor": "middle" }).forEach(([k, v]) => value.setAttribute(k, v));
    value.textContent = values[i] ? String(values[i]) : "";
    const name = document.createElementNS(ns, "text");
    Object.entries({ x: i * step + step / 2, y: height + 26, "text-anchor": "middle" }).forEach(([k, v]) => name.setAttribute(k, v));
    name.textContent = labels.length > 16 && i % 2 ? "" : label; // every other label when they would overlap
    svg.append(rect, value, name);
  });
  return h("figure", { class: "card" }, h("figcaption", {}, title), svg);
}

async function renderStats(main) {
  const account = await accountBar(main);
  if (!account) return;
  const stats = await get(`/accounts/${encodeURIComponent(account.account_id)}/stats`);
  const today = stats.today;
  main.append(h("h2", {}, "今日实时"), h("div", { class: "grid" }, Object.entries(COUNTER_NAMES).map(([k, name]) =>
    h("div", { class: "stat" }, name, h("b", {}, today[k] ?? 0)))), h("p", { class: "muted" }, `截至 ${fmtTime(today.as_of)}`));
  const hours = stats.active_hours;
  main.append(h("h2", {}, "粉丝活跃时段"),
    h("p", {}, hours.best_hour === null || hours.best_hour === undefined ? "暂无数据" : `最佳发布时段：${hours.best_hour}:00 – ${hours.best_hour + 1}:00`),
    barChart("各小时粉丝活跃（北京时间）", hours.histogram.map((_, i) => String(i)), hours.histogram, { alt: true }));
  const days = stats.days;
  const metric = h("select", { name: "metric" }, Object.entries(COUNTER_NAMES).map(([k, n]) => h("option", { value: k }, n)));
  const chartSlot = h("div");
  const draw = () => chartSlot.replaceChildren(barChart(`近 ${days.length} 天${COUNTER_NAMES[metric.value]}（${stats.from} 至 ${stats.to}）`,
    days.map((d) => d.day.slice(5)), days.map((d) => d[metric.value])));
  metric.addEventListener("change", draw);
  main.append(h("h2", {}, "每日数据（T+1）"), labelled("指标", metric), chartSlot);
  draw();
  main.append(h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "日期"),
    Object.values(COUNTER_NAMES).map((n) => h("th", {}, n)))),
  h("tbody", {}, days.slice().reverse().map((d) => h("tr", {}, h("td", {}, d.day), Object.keys(COUNTER_NAMES).map((k) => h("td", {}, d[k]))))))));
}

async function renderFans(main) {
  const account = await accountBar(main);
  if (!account) return;
  const base = `/accounts/${encodeURIComponent(account.account_id)}`;
  const distSlot = h("div");
  main.append(h("h2", {}, "粉丝分布"), distSlot);
  try {
    const fans = await get(`${base}/fans`);
    const a = fans.by_activity;
    distSlot.append(h("div", { class: "grid" },
      h("div", { class: "stat" }, "粉丝总数", h("b", {}, fans.total)),
      h("div", { class: "stat" }, "7 日活跃", h("b", {}, a.active_7d)),
      h("div", { class: "stat" }, "30 日活跃", h("b", {}, a.active_30d)),
      h("div", { class: "stat" }, "30 日未活跃", h("b", {}, a.inactive_30d))),
    h("p", { class: "muted" }, `活跃数据截至 ${fans.as_of}`),
    barChart("按关注月份", fans.by_follow_month.map((m) => m.month.slice(2)), fans.by_follow_month.map((m) => m.count)),
    barChart("按分组", [...fans.by_group.map((g) => g.group), "未分组"], [...fans.by_group.map((g) => g.count), fans.ungrouped], { alt: true }),
    barChart("按活跃度", ["7日活跃", "30日活跃", "30日未活跃"], [a.active_7d, a.active_30d, a.inactive_30d]));
  } catch (error) {
    distSlot.append(errorBox(error));
  }
  // Followers and fan groups
  const group = h("input", { type: "text", name: "group", placeholder: "vip" });
  const user = h("input", { type: "text", name: "user_id" });
  const errors = h("div");
  const filter = h("input", { type: "search", name: "filter_group" });
  const list = h("div", { class: "table-wrap" });
  const loadFollowers = () => act(errors, async () => {
    const query = new URLSearchParams({ limit: "50", ...(filter.value.trim() ? { group: filter.value.trim() } : {}) });
    const page = await get(`${base}/followers?${query}`);
    list.replaceChildren(h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "用户"), h("th", {}, "关注时间"), h("th", {}, "分组"))),
      h("tbody", {}, page.items.map((f) => h("tr", {}, h("td", {}, f.user_id), h("td", {}, fmtTime(f.followed_at)),
        h("td", {}, f.groups.map((g) => h("span", {}, h("span", { class: "pill" }, g), h("button", { type: "button", class: "secondary",
          "aria-label": `把 ${f.user_id} 移出 ${g}`, onclick: (event) => act(errors, async () => {
            await api("DELETE", `${base}/groups/${encodeURIComponent(g)}/members/${encodeURIComponent(f.user_id)}`);
            await loadFollowers();
          }, event.target) }, "×")))))))));
  });
  const form = h("form", { class: "card stack", "aria-label": "粉丝分组" }, h("h3", {}, "加入分组"),
    h("div", { class: "row" }, labelled("粉丝用户 ID", user), labelled("分组", group), h("button", { type: "submit" }, "加入")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(errors, async () => {
      await api("PUT", `${base}/groups/${encodeURIComponent(group.value.trim())}/members/${encodeURIComponent(user.value.trim())}`);
      await loadFollowers();
    }, form.querySelector("button"));
  });
  filter.addEventListener("change", loadFollowers);
  main.append(h("h2", {}, "粉丝列表"), form, labelled("按分组筛选", filter), errors, list);
  await loadFollowers();
}

async function renderGrade(main) {
  const account = await accountBar(main);
  if (!account) return;
  const grade = await get(`/accounts/${encodeURIComponent(account.account_id)}/grade`);
  main.append(h("h2", {}, "账号等级"), h("div", { class: "grid" },
    h("div", { class: "stat" }, "当前等级", h("b", {}, grade.tier)),
    h("div", { class: "stat" }, "本月状态", h("b", {}, TIER_STATUS[grade.tier_status] || grade.tier_status || "—")),
    h("div", { class: "stat" }, "每日发布上限", h("b", {}, grade.privileges.daily_quota)),
    h("div", { class: "stat" }, "热榜资格", h("b", {}, grade.privileges.hot_list ? "有" : "无"))));
  if (grade.status_now === "poor") {
    main.append(h("p", { class: "warning", role: "alert" }, `周度预警：按 ${grade.as_of} 的数据，本月状态为“差”，月初评级将降一级。`));
  } else if (grade.status_now) {
    main.append(h("p", { class: "muted" }, `按 ${grade.as_of} 的数据（${grade.metrics_source === "weekly" ? "周度" : "月度"}），状态：${TIER_STATUS[grade.status_now] || grade.status_now}`));
  }
  if (grade.metrics) {
    main.append(h("h3", {}, "指标"), h("pre", { class: "text" }, JSON.stringify(grade.metrics, null, 2)));
  }
  if (grade.to_improve && grade.to_improve.length) {
    main.append(h("h3", {}, "待改进"), h("ul", {}, grade.to_improve.map((t) => h("li", {}, typeof t === "string" ? t : JSON.stringify(t)))));
  }
  main.append(h("h3", {}, "历史评级"), grade.history.length ? h("div", { class: "table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, ["月份", "原等级", "新等级", "状态"].map((t) => h("th", {}, t)))),
    h("tbody", {}, grade.history.map((r) => h("tr", {}, h("td", {}, r.month), h("td", {}, r.old_tier), h("td", {}, r.new_tier),
      h("td", {}, TIER_STATUS[r.status] || r.status || "—")))))) : h("p", { class: "muted" }, "暂无评级记录"));
}

// --- notifications and the live unread badge ------------------------------------------------------

function setUnread(count) {
  const badge = document.getElementById("badge");
  document.getElementById("unread").textContent = String(count);
  badge.dataset.zero = String(count === 0);
  badge.setAttribute("aria-label", `未读消息 ${count} 条`);
}

// How the badge stays live: "socket", "poll", or "" while connecting (tests wait on it).
function setLive(channel) {
  document.getElementById("badge").dataset.live = channel;
}

function setRealtimeStatus(text) {
  document.getElementById("realtime").textContent = text;
}

async function refreshUnread() {
  try {
    setUnread((await get("/me/notifications/unread")).count);
  } catch (error) {
    setRealtimeStatus(`未读数不可用：${error.message}`);
  }
}

const realtime = { socket: null, abort: null, lastEventId: null, stopped: true, timer: null };

function stopRealtime() {
  realtime.stopped = true;
  setLive("");
  if (realtime.socket) realtime.socket.close();
  if (realtime.abort) realtime.abort.abort();
  clearTimeout(realtime.timer);
  realtime.socket = null;
}

function onEvent(event) {
  if (event.event_id) realtime.lastEventId = event.event_id;
  if (event.type === "notification" && typeof event.unread === "number") setUnread(event.unread);
  else if (event.type === "resync") refreshUnread();
  if (event.type === "notification" && route().tab === "notifications") render();
}

async function startRealtime() {
  stopRealtime();
  realtime.stopped = false;
  await refreshUnread();
  try {
    const { data } = await api("POST", "/me/realtime/tickets");
    const url = `${data.url}${data.url.includes("?") ? "&" : "?"}ticket=${encodeURIComponent(data.ticket)}`;
    const socket = new WebSocket(url);
    realtime.socket = socket;
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      setRealtimeStatus("");
      setLive("socket");
      if (realtime.lastEventId) socket.send(JSON.stringify({ action: "resume", since: realtime.lastEventId }));
      else refreshUnread(); // what arrived before the server knew we were here was never pushed
    });
    socket.addEventListener("message", (message) => {
      try { onEvent(JSON.parse(message.data)); } catch { /* a frame that is not JSON: ignore it */ }
    });
    socket.addEventListener("close", () => {
      if (realtime.stopped || realtime.socket !== socket) return;
      realtime.socket = null;
      // A socket that never opened falls back to long-polling; one that dropped reconnects.
      if (opened) realtime.timer = setTimeout(startRealtime, 2000); else longPoll();
    });
  } catch (error) {
    setRealtimeStatus(`实时推送不可用（${error.message}），改用长轮询`);
    longPoll();
  }
}

async function longPoll() {
  let delay = 1000;
  let first = true;
  while (!realtime.stopped) {
    realtime.abort = new AbortController();
    try {
      // The first call returns at once: it makes us present (events are logged for us from
      // then on) and gives the position to wait from; the count read after it misses nothing.
      const since = realtime.lastEventId != null ? { since: realtime.lastEventId } : {};
      const query = new URLSearchParams({ wait: first ? "0" : "20", ...since });
      const body = await get(`/me/events?${query}`, { signal: realtime.abort.signal });
      if (body.last_event_id != null) realtime.lastEventId = body.last_event_id;
      (body.events || []).forEach(onEvent);
      if (first) { first = false; await refreshUnread(); setLive("poll"); }
      delay = 1000;
    } catch (error) {
      if (error.name === "AbortError" || realtime.stopped) return;
      setRealtimeStatus(`消息推送不可用：${error.message}`);
      if (error.status === 404 || error.status === 403) return; // the route is not there: stop asking
      await new Promise((resolve) => { realtime.timer = setTimeout(resolve, delay); });
      delay = Math.min(delay * 2, 30000);
    }
  }
}

async function renderNotifications(main) {
  const errors = h("div");
  const list = h("div", { id: "notifications" });
  const type = h("select", { name: "type" }, h("option", { value: "" }, "全部"),
    ["follow", "like", "comment", "vote", "buyer_show", "moderation", "penalty", "grade", "hot", "contest_win"]
      .map((t) => h("option", { value: t }, t)));
  const load = () => act(errors, async () => {
    const page = await get(`/me/notifications?${new URLSearchParams({ limit: "50", ...(type.value ? { type: type.value } : {}) })}`);
    list.replaceChildren(...(page.items.length ? page.items.map((n) => h("div", { class: "card", dataset: { read: String(n.read) } },
      n.read ? null : h("span", { class: "pill review" }, "未读"), " ", h("b", {}, n.text), " ",
      h("span", { class: "muted" }, fmtTime(n.updated_at)),
      n.data && n.data.text ? h("p", {}, `“${n.data.text}”`) : null)) : [h("p", { class: "muted" }, "暂无消息")]));
  });
  type.addEventListener("change", load);
  const markAll = h("button", { type: "button", class: "secondary", onclick: (event) => act(errors, async () => {
    const { data } = await api("POST", "/me/notifications/read", {});
    setUnread(data.unread);
    await load();
  }, event.target) }, "全部标为已读");
  main.append(h("h2", {}, "消息"), h("div", { class: "row" }, labelled("类型", type), markAll), errors, list);
  await load();
}

// --- moderator -------------------------------------------------------------------------------------

const originalPostOf = (verdict) => (verdict.message || "").match(/near copy of post ([^\s,)]+)/)?.[1];

async function renderQueue(main) {
  const errors = h("div");
  const list = h("div", { id: "queue" });
  main.append(h("div", { class: "row" }, h("h2", {}, "审核队列（最早的在前）"),
    h("button", { type: "button", class: "secondary", onclick: () => render() }, "刷新")), errors, list);
  const page = await get("/moderation/queue?limit=50");
  if (!page.items.length) list.append(h("p", { class: "muted" }, "队列为空"));
  for (const post of page.items) list.append(await queueCard(post));
}

async function queueCard(post) {
  const errors = h("div");
  const card = h("article", { class: "card", dataset: { postId: post.post_id } },
    h("div", { class: "row" }, pill(post.status), h("b", {}, snippet(post)),
      h("span", { class: "muted" }, `${TYPE_NAMES[post.type] || post.type} · 账号 ${post.account_id} · ${fmtTime(post.created_at)}`)),
    verdictList(post.moderation));
  const plagiarism = (post.moderation || []).find((v) => v.hook === "plagiarism" && v.outcome !== "approve");
  const ownText = [post.title, post.text].filter(Boolean).join("\n");
  if (plagiarism) {
    const originalId = originalPostOf(plagiarism);
    let originalText = "（无法读取原帖）";
    if (originalId) {
      try {
        const original = await get(`/posts/${encodeURIComponent(originalId)}`);
        originalText = [original.title, original.text].filter(Boolean).join("\n");
      } catch (error) {
        originalText = `（原帖读取失败：${error.message}）`;
      }
    }
    card.append(h("div", { class: "side", "aria-label": "抄袭比对" },
      h("div", {}, h("h3", {}, "待审内容"), h("pre", {}, ownText)),
      h("div", {}, h("h3", {}, `疑似原帖 ${originalId || ""}`), h("pre", {}, originalText))));
  } else if (ownText) {
    card.append(h("pre", { class: "text" }, ownText));
  }
  const reason = h("input", { type: "text", name: "reason" });
  const violation = h("input", { type: "checkbox", name: "violation", checked: true });
  violation.id = nextId("f");
  const decide = (decision, button) => act(errors, async () => {
    const body = decision === "approve" ? { decision } : { decision, reason: reason.value.trim(), violation: violation.checked };
    const { data } = await api("POST", `/moderation/posts/${encodeURIComponent(post.post_id)}/decision`, body);
    card.replaceChildren(h("p", { class: "ok" }, `已处理：${snippet(post)} → `, pill(data.status)));
  }, button);
  card.append(h("div", { class: "row" },
    h("button", { type: "button", onclick: (e) => decide("approve", e.target) }, "通过"),
    labelled("驳回原因", reason),
    h("span", {}, violation, h("label", { for: violation.id }, " 计为违规（记一次处罚）")),
    h("button", { type: "button", class: "danger", onclick: (e) => decide("reject", e.target) }, "驳回")), errors);
  return card;
}

function simpleForm(title, controls, submitText, onSubmit) {
  const errors = h("div");
  const result = h("div", { role: "status" });
  const form = h("form", { class: "card stack", "aria-label": title }, h("h3", {}, title), controls,
    h("div", { class: "row" }, h("button", { type: "submit" }, submitText)), errors, result);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(errors, async () => { await onSubmit(result, event.submitter); }, form.querySelector("button[type=submit]"));
  });
  return form;
}

function renderTakedown(main) {
  const postId = h("input", { type: "text", name: "post_id", required: true });
  main.append(h("h2", {}, "下架内容"), simpleForm("按帖子 ID 下架", [labelled("帖子 ID", postId, { required: true })], "下架",
    async (result) => {
      await api("DELETE", `/posts/${encodeURIComponent(postId.value.trim())}`);
      result.replaceChildren(h("p", { class: "ok" }, `帖子 ${postId.value.trim()} 已下架`));
    }));
}

function renderBlackroom(main) {
  const accountId = h("input", { type: "text", name: "account_id", required: true });
  const reason = h("input", { type: "text", name: "reason" });
  const accountView = (account) => h("p", { class: "ok" }, `${account.display_name}（${account.account_id}）当前等级 ${account.tier}`);
  main.append(h("h2", {}, "小黑屋（H1）"),
    simpleForm("关入或释放", [labelled("账号 ID", accountId, { required: true }), labelled("原因（关入时必填）", reason)], "关入小黑屋",
      async (result) => {
        const { data } = await api("PUT", `/moderation/accounts/${encodeURIComponent(accountId.value.trim())}/blackroom`, { reason: reason.value.trim() });
        result.replaceChildren(accountView(data));
      }));
  const releaseId = h("input", { type: "text", name: "release_account_id", required: true });
  main.append(simpleForm("释放账号（回到 W1）", [labelled("账号 ID", releaseId, { required: true })], "释放", async (result) => {
    const { data } = await api("DELETE", `/moderation/accounts/${encodeURIComponent(releaseId.value.trim())}/blackroom`);
    result.replaceChildren(accountView(data));
  }));
  const strikesId = h("input", { type: "text", name: "strikes_account_id", required: true });
  main.append(simpleForm("查看处罚记录", [labelled("账号 ID", strikesId, { required: true })], "查询", async (result) => {
    const data = await get(`/moderation/accounts/${encodeURIComponent(strikesId.value.trim())}/strikes`);
    result.replaceChildren(h("pre", { class: "text" }, JSON.stringify(data, null, 2)));
  }));
}

function renderAudit(main) {
  const by = h("select", { name: "by" }, h("option", { value: "account_id" }, "按账号"), h("option", { value: "actor" }, "按操作人"));
  const value = h("input", { type: "search", name: "q", required: true });
  main.append(h("h2", {}, "审计记录"), simpleForm("搜索", [h("div", { class: "row" }, labelled("条件", by), labelled("账号 ID 或操作人", value))], "搜索",
    async (result) => {
      const page = await get(`/moderation/audit?${new URLSearchParams({ [by.value]: value.value.trim(), limit: "100" })}`);
      result.replaceChildren(page.items.length ? h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ["时间", "动作", "操作人", "账号", "帖子", "原因"].map((t) => h("th", {}, t)))),
        h("tbody", {}, page.items.map((e) => h("tr", {}, h("td", {}, fmtTime(e.at)), h("td", {}, e.action), h("td", {}, e.actor),
          h("td", {}, e.account_id), h("td", {}, e.post_id || ""), h("td", {}, e.reason || "")))))) : h("p", { class: "muted" }, "没有记录"));
    }));
}

// --- operator ---------------------------------------------------------------------------------------

function renderLabels(main) {
  const accountId = h("input", { type: "text", name: "account_id", required: true });
  const label = h("select", { name: "label" }, Object.entries(LABELS).map(([k, n]) => h("option", { value: k }, n)));
  const action = h("select", { name: "action" }, h("option", { value: "PUT" }, "授予"), h("option", { value: "DELETE" }, "撤销"));
  main.append(h("h2", {}, "认证标签"), simpleForm("授予或撤销", [h("div", { class: "row" }, labelled("账号 ID", accountId, { required: true }),
    labelled("标签", label), labelled("操作", action))], "确定", async (result) => {
    const { data } = await api(action.value, `/accounts/${encodeURIComponent(accountId.value.trim())}/labels/${label.value}`);
    result.replaceChildren(h("p", { class: "ok" }, `${data.display_name}：${data.labels.map((l) => LABELS[l] || l).join("、") || "无标签"}`));
  }));
}

async function renderPicks(main) {
  const postId = h("input", { type: "text", name: "post_id", required: true });
  const until = h("input", { type: "datetime-local", name: "until", required: true });
  const category = h("input", { type: "text", name: "category" });
  const hotSlot = h("div");
  const loadHot = async () => {
    try {
      const page = await get("/hot?limit=50");
      hotSlot.replaceChildren(h("ol", {}, page.items.map((p) => h("li", {}, p.picked ? h("span", { class: "pill review" }, "精选") : null, " ",
        snippet(p), h("span", { class: "muted" }, ` ${p.post_id}`)))));
    } catch (error) {
      hotSlot.replaceChildren(errorBox(error));
    }
  };
  main.append(h("h2", {}, "热榜精选"), simpleForm("置顶到热榜", [h("div", { class: "row" }, labelled("帖子 ID", postId, { required: true }),
    labelled("截止", until, { required: true }), labelled("类目（可选）", category))], "置顶", async (result) => {
    const body = { until: until.value ? toRfc3339(until.value) : "" };
    if (category.value.trim()) body.category = category.value.trim();
    await api("PUT", `/ops/hot/picks/${encodeURIComponent(postId.value.trim())}`, body);
    result.replaceChildren(h("p", { class: "ok" }, "已置顶"));
    await loadHot();
  }));
  const unpick = h("input", { type: "text", name: "unpick_post_id", required: true });
  main.append(simpleForm("取消精选", [labelled("帖子 ID", unpick, { required: true })], "取消", async (result) => {
    await api("DELETE", `/ops/hot/picks/${encodeURIComponent(unpick.value.trim())}`);
    result.replaceChildren(h("p", { class: "ok" }, "已取消"));
    await loadHot();
  }));
  main.append(h("h3", {}, "当前热榜"), hotSlot);
  await loadHot();
}

// Start a job, then poll its run until done, showing progress.
function runProgress(result, poll) {
  const bar = h("progress", { class: "progress", max: "1", value: "0", "aria-label": "进度" });
  const text = h("pre", { class: "text" });
  const errors = h("div");
  result.replaceChildren(bar, text, errors);
  const tick = async () => {
    if (!result.isConnected) return;
    try {
      const run = await poll();
      const fraction = run.progress && typeof run.progress.fraction === "number" ? run.progress.fraction : (run.status === "done" ? 1 : 0);
      bar.value = fraction;
      text.textContent = `状态：${STATUS_NAMES[run.status] || run.status}\n${JSON.stringify(run.progress || run.summary || {}, null, 2)}`;
      if (run.status === "done") text.textContent += `\n结果：${JSON.stringify(run.summary || {}, null, 2)}`;
      else setTimeout(tick, 1000);
    } catch (error) {
      showError(errors, error);
    }
  };
  return tick();
}

function renderGradingRuns(main) {
  const now = new Date(Date.now() + 8 * 3600 * 1000);
  const month = h("input", { type: "month", name: "month", required: true, value: now.toISOString().slice(0, 7) });
  main.append(h("h2", {}, "分层评级"), simpleForm("手动评级某月", [labelled("月份", month, { required: true })], "开始评级", async (result) => {
    const { data } = await api("POST", "/ops/grading/runs", { month: month.value });
    const id = data.month || month.value;
    await runProgress(result, () => get(`/ops/grading/runs/${encodeURIComponent(id)}`));
  }));
  const lookup = h("input", { type: "text", name: "run", required: true, placeholder: "2026-03 或 2026-03-02" });
  main.append(simpleForm("查看评级进度", [labelled("月份或日期", lookup, { required: true })], "查看", async (result) => {
    await runProgress(result, () => get(`/ops/grading/runs/${encodeURIComponent(lookup.value.trim())}`));
  }));
}

function renderSuggestionRuns(main) {
  main.append(h("h2", {}, "推荐计算"), simpleForm("立即运行每日推荐计算", [], "开始", async (result) => {
    const { data } = await api("POST", "/ops/suggestions/runs");
    await runProgress(result, () => get(`/ops/suggestions/runs/${encodeURIComponent(data.run_id)}`));
  }));
}

// Run-time configuration: read a version, edit the document, write it back with If-Match.
function renderConfig(main, names) {
  const name = h("select", { name: "config" }, names.map((n) => h("option", { value: n }, `${CONFIG_NAMES[n] || n}（${n}）`)));
  const version = h("input", { type: "text", name: "version", readonly: true });
  const doc = h("textarea", { name: "document", rows: "14", spellcheck: "false" });
  const errors = h("div");
  const result = h("div", { role: "status" });
  const load = (button) => act(errors, async () => {
    const data = await get(`/ops/config/${name.value}`);
    version.value = String(data.version);
    doc.value = JSON.stringify(data.document, null, 2);
    result.replaceChildren(h("p", { class: "muted" }, `已读取版本 ${data.version}`));
  }, button);
  const save = (button) => act(errors, async () => {
    let document;
    try { document = JSON.parse(doc.value); } catch (error) { throw new Error(`文档不是合法的 JSON：${error.message}`); }
    try {
      const { data } = await api("PUT", `/ops/config/${name.value}`, { document }, { headers: { "If-Match": version.value } });
      version.value = String(data.version);
      result.replaceChildren(h("p", { class: "ok" }, `已保存为版本 ${data.version}`));
    } catch (error) {
      if (error.status === 412) {
        result.replaceChildren(h("p", { class: "warning", role: "alert" },
          `版本冲突：配置已被他人修改（你基于版本 ${version.value}）。请重新读取后再改。`));
      }
      throw error;
    }
  }, button);
  name.addEventListener("change", () => load());
  main.append(h("h2", {}, "运行配置"), h("div", { class: "card stack" }, h("div", { class: "row" }, labelled("配置", name), labelled("版本", version)),
    labelled("文档（JSON）", doc),
    h("div", { class: "row" }, h("button", { type: "button", class: "secondary", onclick: (e) => load(e.target) }, "重新读取"),
      h("button", { type: "button", onclick: (e) => save(e.target) }, "保存")), errors, result));
  return load();
}

// --- start ---------------------------------------------------------------------------------------

async function boot() {
  renderShell();
  if (!state.token) {
    renderSignIn();
    return;
  }
  state.accounts = [];
  startRealtime();
  await render();
}

async function start() {
  document.getElementById("signout").addEventListener("click", () => signOut());
  window.addEventListener("hashchange", () => {
    const match = location.hash.match(/^#token=([^&]+)/);
    if (match) { takeTokenFromHash(match[1]); boot(); return; }
    render();
  });
  try {
    state.config = await get("/console/config.json", { token: null });
  } catch (error) {
    state.config = { local_tokens: false };
    document.getElementById("main").replaceChildren(errorBox(error));
  }
  const match = location.hash.match(/^#token=([^&]+)/);
  const params = new URLSearchParams(location.search);
  if (match) {
    takeTokenFromHash(match[1]);
  } else if (params.get("code") && state.config.cognito) {
    try { await finishHostedUi(params); } catch (error) { renderSignIn(error.message); return; }
  } else {
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) useToken(saved);
  }
  await boot();
}

// ``/console#token=<JWT>`` signs in, then the token leaves the address bar (and the history).
function takeTokenFromHash(raw) {
  const ok = useToken(decodeURIComponent(raw));
  history.replaceState(null, "", `${location.pathname}${location.search}`);
  if (!ok) renderSignIn("链接中的令牌无效");
}

start();
