/* Shared helpers of the pages: API calls, formatting, the region picker, field errors and
 * the facts shown for a course. Plain browser JavaScript, no build step. Every value from the
 * API is put into the page with textContent (never innerHTML). */
(function () {
  "use strict";

  const SM = {};

  /** Create an element: h("p", {class: "x"}, "text", child, ...). */
  SM.h = function (tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  };

  SM.$ = (id) => document.getElementById(id);

  /** 12500 → "12,500" */
  SM.thousands = function (n) {
    return String(Math.round(Number(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  };

  /** Amount in yuan with thousands separators: "12,500 元". */
  SM.yuan = function (n) {
    return n === null || n === undefined || Number.isNaN(Number(n)) ? "—" : SM.thousands(n) + " 元";
  };

  const WEEKDAYS = "日一二三四五六";

  /** "2026-12-04" → "12月4日（周五）", with the year when asked. */
  SM.date = function (iso, opts) {
    if (!iso) return "—";
    const [y, m, d] = String(iso).split("-").map(Number);
    const wd = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
    const base = (opts && opts.year ? y + "年" : "") + m + "月" + d + "日";
    return opts && opts.weekday === false ? base : base + "（周" + WEEKDAYS[wd] + "）";
  };

  SM.MODE_LABELS = { offline: "线下", online: "线上", blended: "线上线下结合" };
  SM.SERVICE_LABELS = { order: "订单式培训", targeted: "定向培训", placement: "定岗培训" };

  /** An API error with the structured body's code, Chinese message and fields. */
  class ApiError extends Error {
    constructor(kind, status, message, code, fields) {
      super(message);
      this.kind = kind; // "network" | "starting" | "api"
      this.status = status;
      this.code = code || "";
      this.fields = fields || [];
    }
  }
  SM.ApiError = ApiError;

  /** Call the JSON API; resolves to the body, rejects with an ApiError. */
  /** The session's CSRF token (staff pages), sent with every state-changing request. */
  SM.csrfToken = function () {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  };

  SM.api = async function (method, url, body) {
    let resp;
    const headers = body ? { "Content-Type": "application/json", Accept: "application/json" } : { Accept: "application/json" };
    if (method !== "GET" && SM.csrfToken()) headers["X-CSRF-Token"] = SM.csrfToken();
    try {
      resp = await fetch(url, {
        method,
        headers,
        credentials: "same-origin",
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      throw new ApiError("network", 0, "网络连接失败，请检查网络后重试。");
    }
    let data = null;
    try {
      data = await resp.json();
    } catch (e) {
      data = null;
    }
    if (resp.ok) return data;
    const err = (data && data.error) || {};
    if (resp.status === 503) {
      throw new ApiError("starting", 503, "服务正在启动，请稍等几秒后再试。", err.code);
    }
    throw new ApiError(
      "api",
      resp.status,
      err.message || "请求没有成功（错误 " + resp.status + "），请稍后再试。",
      err.code,
      err.fields,
    );
  };

  /* -- region picker: province → city → county selects fed by /api/v1/regions -------- */
  SM.RegionPicker = class {
    constructor(province, city, county, opts) {
      this.selects = [province, city, county];
      this.cache = new Map();
      this.placeholders = ["请选择省份", "请选择城市", (opts && opts.wholeCity) || "全市（不选区县）"];
      this.waiting = ["请先选省份", "请先选城市"];
      this.selects.forEach((sel, i) => {
        sel.addEventListener("change", () => this.changed(i));
      });
      this.ready = this.load(0, "");
    }

    async children(parent) {
      const key = parent || "";
      if (!this.cache.has(key)) {
        const url = "/api/v1/regions" + (parent ? "?parent=" + encodeURIComponent(parent) : "");
        const data = await SM.api("GET", url);
        const list = Array.isArray(data) ? data : (data && (data.regions || data.items)) || [];
        this.cache.set(key, list);
      }
      return this.cache.get(key);
    }

    fill(i, list) {
      const sel = this.selects[i];
      sel.replaceChildren(SM.h("option", { value: "" }, this.placeholders[i]));
      for (const r of list) sel.append(SM.h("option", { value: r.code }, r.name));
      sel.disabled = list.length === 0;
      if (list.length === 0 && i > 0) {
        sel.replaceChildren(SM.h("option", { value: "" }, i === 2 ? "无下级区县" : "无下级城市"));
      }
    }

    reset(i) {
      const sel = this.selects[i];
      sel.replaceChildren(SM.h("option", { value: "" }, this.waiting[i - 1]));
      sel.disabled = true;
    }

    async load(i, parent) {
      try {
        const list = await this.children(parent);
        this.fill(i, list);
        // A municipality has one city-level unit named after it: pick it for the person.
        if (i === 1 && list.length === 1) {
          this.selects[1].value = list[0].code;
          await this.changed(1);
        }
        this.error = null;
      } catch (e) {
        this.error = e;
        const sel = this.selects[i];
        sel.replaceChildren(SM.h("option", { value: "" }, "地区列表暂时无法加载"));
        sel.disabled = i > 0;
        if (this.onerror) this.onerror(e);
      }
    }

    async changed(i) {
      for (let j = i + 1; j < 3; j++) this.reset(j);
      const code = this.selects[i].value;
      if (code && i < 2) await this.load(i + 1, code);
      if (this.onchange) this.onchange();
    }

    /** The most specific code chosen ("" when no province). */
    value() {
      for (let i = 2; i >= 0; i--) {
        if (this.selects[i].value) return this.selects[i].value;
      }
      return "";
    }

    /** The chosen city (or province when no city) code, for the demand directory. */
    cityCode() {
      return this.selects[1].value || this.selects[0].value || "";
    }

    async set(codes) {
      await this.ready;
      for (let i = 0; i < codes.length && i < 3; i++) {
        this.selects[i].value = codes[i];
        await this.changed(i);
      }
    }
  };

  /* -- field errors ---------------------------------------------------------------------- */
  /** Which control and which message box belong to each API field name. */
  SM.FIELD_TARGETS = {
    group: ["group", "err-group"],
    age: ["age", "err-age"],
    education: ["education", "err-education"],
    region_code: ["province", "err-region_code"],
    address: ["address", "err-address"],
    text: ["text", "err-text"],
    current_level: ["current_level", "err-current_level"],
  };

  SM.clearErrors = function (form) {
    for (const box of form.querySelectorAll(".field-error")) {
      box.textContent = "";
      box.hidden = true;
    }
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    const general = form.querySelector("#form-error");
    if (general) {
      general.textContent = "";
      general.hidden = true;
    }
  };

  /** Show errors next to their fields; returns the messages that have no field. */
  SM.showErrors = function (form, fields, fallback) {
    const unplaced = [];
    let first = null;
    for (const f of fields) {
      const target = SM.FIELD_TARGETS[String(f.field || "").split(".")[0]];
      if (!target) {
        unplaced.push(f.reason);
        continue;
      }
      const [controlId, boxId] = target;
      let control = SM.$(controlId);
      if (controlId === "province" && form.querySelector("input[name=region_mode][value=address]:checked")) {
        control = SM.$("address");
      }
      const box = SM.$(boxId);
      box.textContent = f.reason;
      box.hidden = false;
      if (control) {
        control.setAttribute("aria-invalid", "true");
        first = first || control;
      }
    }
    const general = form.querySelector("#form-error");
    const messages = unplaced.length ? unplaced : first ? [] : [fallback];
    if (general && messages.length && messages[0]) {
      general.textContent = messages.join("；");
      general.hidden = false;
    }
    if (first) {
      first.focus();
    } else if (general && !general.hidden) {
      general.setAttribute("tabindex", "-1");
      general.focus();
    }
    return messages;
  };

  /** Read and check the profile form; returns {payload, errors}. */
  SM.readProfile = function (form, picker) {
    const errors = [];
    const v = (id) => (SM.$(id) ? SM.$(id).value.trim() : "");
    const payload = {
      group: v("group"),
      age: null,
      relocate: SM.$("relocate").checked,
      online_only: SM.$("online_only").checked,
      text: SM.$("text").value.trim(),
    };
    if (!payload.group) errors.push({ field: "group", reason: "请选择人员类别" });
    const ageText = v("age");
    if (!ageText) errors.push({ field: "age", reason: "请填写年龄" });
    else if (!/^\d{1,3}$/.test(ageText)) errors.push({ field: "age", reason: "年龄请填写整数，例如 35" });
    else {
      payload.age = Number(ageText);
      if (payload.age < 16 || payload.age > 75) errors.push({ field: "age", reason: "年龄须在 16 至 75 岁之间" });
    }
    if (v("education")) payload.education = v("education");
    if (v("current_level")) payload.current_level = v("current_level");
    const mode = form.querySelector("input[name=region_mode]:checked");
    if (mode && mode.value === "address") {
      if (!v("address")) errors.push({ field: "address", reason: "请填写地址，例如“河南省郑州市金水区”" });
      else payload.address = v("address");
    } else {
      const code = picker.value();
      if (!code) errors.push({ field: "region_code", reason: "请选择所在省份和城市" });
      else payload.region_code = code;
    }
    if (payload.text.length > 1000) errors.push({ field: "text", reason: "最多 1000 字，请删减一些" });
    return { payload, errors };
  };

  /** Wire up the "输入地址 / 从列表选择" switch and the address check. */
  SM.regionModes = function (form) {
    const select = SM.$("region-select");
    const address = SM.$("region-address");
    const resolved = SM.$("address-resolved");
    const radios = form.querySelectorAll("input[name=region_mode]");
    const apply = () => {
      const useAddress = form.querySelector("input[name=region_mode]:checked").value === "address";
      select.hidden = useAddress;
      address.hidden = !useAddress;
    };
    radios.forEach((r) => r.addEventListener("change", apply));
    apply();
    let timer = null;
    let seq = 0;
    SM.$("address").addEventListener("input", () => {
      clearTimeout(timer);
      const text = SM.$("address").value.trim();
      if (!text) {
        resolved.textContent = "";
        return;
      }
      timer = setTimeout(async () => {
        const mine = ++seq;
        try {
          const data = await SM.api("GET", "/api/v1/regions/resolve?address=" + encodeURIComponent(text));
          if (mine !== seq) return;
          const region = (data && data.region) || data || {};
          const name = region.full_name || region.name;
          resolved.textContent = name ? "识别为：" + name : "未能识别地区，请写上省和市的名称";
        } catch (e) {
          if (mine !== seq) return;
          resolved.textContent = e.kind === "api" ? "未能识别地区，请写上省和市的名称" : "";
        }
      }, 400);
    });
  };

  /** Keep a "n/1000 字" counter beside a textarea. */
  SM.counter = function (textarea, out) {
    const update = () => {
      out.textContent = textarea.value.length + "/1000 字";
    };
    textarea.addEventListener("input", update);
    update();
    return update;
  };

  /* -- course facts ---------------------------------------------------------------------- */
  SM.place = function (r) {
    const mode = r.mode || "offline";
    if (mode === "online") return "线上（在家即可学习）";
    const parts = [];
    if (mode === "blended") parts.push("线上线下结合；");
    const region = (r.region && r.region.name) || "";
    const s = r.next_session;
    const address = (s && s.address) || "";
    // Addresses usually start with the region's name: do not say it twice.
    parts.push(address.startsWith(region) ? address : [region, address].filter(Boolean).join(" "));
    if (r.distance_km !== null && r.distance_km !== undefined) parts.push("（距您约 " + Math.max(1, Math.round(r.distance_km)) + " 公里）");
    return parts.join("");
  };

  SM.institution = function (r) {
    const inst = r.institution || {};
    const extra = [inst.type_name, inst.grade_name].filter(Boolean).join(" · ");
    return (inst.name || "") + (extra ? "（" + extra + "）" : "");
  };

  SM.session = function (r) {
    const s = r.next_session;
    if (!s) return "暂无可报名的班期";
    const hours = r.hours && r.hours.total ? "，共 " + r.hours.total + " 学时" : "";
    return SM.date(s.start_date) + " 至 " + SM.date(s.end_date, { weekday: false }) + hours;
  };

  SM.enrol = function (r) {
    const s = r.next_session;
    if (!s) return "—";
    return SM.date(s.enrol_by) + "前，剩余 " + s.seats_left + " 个名额";
  };

  SM.service = function (r) {
    const label = SM.SERVICE_LABELS[r.employment_service];
    if (!label) return "";
    const partners = r.partner_employers || [];
    return label + (partners.length ? "：" + partners.join("、") : "");
  };

  SM.employment = function (r) {
    const e = r.employment_rate;
    if (!e) return "";
    const pct = Math.round(e.rate * 100) + "%";
    return e.cohort < 30 ? pct + "（学员较少，仅供参考）" : pct + "（" + e.cohort + " 名学员）";
  };

  SM.certificate = function (r) {
    return [r.level_name, r.certificate].filter(Boolean).join(" · ");
  };

  /** [label, text, className] rows describing a course, in display order. */
  SM.facts = function (r) {
    const rows = [
      ["培训机构", SM.institution(r)],
      ["上课地点", SM.place(r)],
      ["开班时间", SM.session(r)],
      ["报名截止", SM.enrol(r)],
      ["政府补贴", SM.yuan(r.subsidy && r.subsidy.amount), "money"],
      ["个人自付", SM.yuan(r.out_of_pocket) + (r.fee ? "（学费 " + SM.yuan(r.fee) + "）" : ""), "money"],
      ["证书", SM.certificate(r)],
      ["就业服务", SM.service(r)],
      ["就业率", SM.employment(r)],
    ];
    return rows.filter((row) => row[1]);
  };

  /** A <dl> of the course facts. */
  SM.factList = function (r) {
    const dl = SM.h("dl", { class: "facts" });
    for (const [label, text, cls] of SM.facts(r)) {
      dl.append(SM.h("div", { class: "fact" + (cls ? " " + cls : "") }, SM.h("dt", {}, label), SM.h("dd", {}, text)));
    }
    return dl;
  };

  SM.reasonList = function (r) {
    return SM.h(
      "ul",
      { class: "reasons", "aria-label": "推荐理由" },
      (r.reasons || []).map((t) => SM.h("li", {}, t)),
    );
  };

  /** Print one part of the page (a class on <body> hides the rest while printing). */
  SM.printPart = function (cls) {
    document.body.classList.add(cls);
    const done = () => {
      document.body.classList.remove(cls);
      window.removeEventListener("afterprint", done);
    };
    window.addEventListener("afterprint", done);
    window.print();
  };

  window.SM = SM;
})();
