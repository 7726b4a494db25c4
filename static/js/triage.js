// Triage, on the inbox and on a request's page: progressive enhancement over plain forms.
// - Command palette (Ctrl-K / ⌘-K): every action, saved view and filter preset, filtered as you type.
// - Quick keys (outside text fields): p plan, d decline (asks the reason), i ask for information
//   (asks the question), a assign to me, m merge into… (a searchable picker), s snooze, ? help.
//   Inbox: j / k move the cursor, x select (Shift-click: a range), o / Enter open, / search.
//   Request page: u back to the inbox.
// - Inbox actions post the bulk form with htmx (or the request's own snooze form): the changed rows
//   come back and replace theirs in place, so the cursor stays where it was. Without JS every form
//   still posts and redirects.
(function () {
  "use strict";

  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  function typing(target) {
    var tag = (target.tagName || "").toLowerCase();
    if (tag === "input") return !/^(checkbox|radio|button|submit|reset)$/.test(target.type);
    return tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function fold(text) {
    return (text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function submit(form) {
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  // A datetime-local value `days` from now, at 9:00 local time.
  function daysFromNow(days) {
    var when = new Date();
    when.setDate(when.getDate() + days);
    when.setHours(9, 0, 0, 0);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return when.getFullYear() + "-" + two(when.getMonth() + 1) + "-" + two(when.getDate()) + "T09:00";
  }

  // The page: the inbox or a request's page. Each knows its targets and how to run a command. --------
  var page = null;

  // Inbox ---------------------------------------------------------------------------------------------
  function Inbox(table) {
    this.table = table;
    this.form = document.getElementById("bulk-form");
    this.feedback = document.getElementById("inbox-feedback");
    this.current = -1;
    this.lastClicked = null;
    this.rows = [];
    this.refresh();
  }

  Inbox.prototype.refresh = function () {
    this.rows = all("tbody [data-row]", this.table);
  };

  Inbox.prototype.focusRow = function (index) {
    if (!this.rows.length) return;
    this.current = Math.max(0, Math.min(this.rows.length - 1, index));
    var current = this.current;
    this.rows.forEach(function (row, i) { row.classList.toggle("current", i === current); });
    var row = this.rows[current];
    row.scrollIntoView({ block: "nearest" });
    var link = row.querySelector(".c-title a");
    if (link) link.focus({ preventScroll: true });
  };

  Inbox.prototype.currentRow = function () {
    return this.current >= 0 ? this.rows[this.current] : null;
  };

  Inbox.prototype.boxes = function () {
    return all("tbody .row-select", this.table);
  };

  Inbox.prototype.ticked = function () {
    return this.boxes().filter(function (box) { return box.checked; });
  };

  Inbox.prototype.targets = function () {
    var ids = this.ticked().map(function (box) { return box.value; });
    var row = this.currentRow();
    if (!ids.length && row) ids = [row.dataset.id];
    return ids;
  };

  // The bulk bar shows only while requests are ticked.
  Inbox.prototype.update = function () {
    var ticked = this.ticked().length;
    var total = this.boxes().length;
    var selectAll = document.querySelector("[data-select-all]");
    if (selectAll) {
      selectAll.checked = total > 0 && ticked === total;
      selectAll.indeterminate = ticked > 0 && ticked < total;
    }
    if (!this.form) return;
    this.form.hidden = ticked === 0;
    var count = this.form.querySelector("[data-bulk-count]");
    if (count && ticked) {
      count.textContent = ticked === 1 ? this.form.dataset.textOne : this.form.dataset.textMany.replace("__n__", ticked);
    }
  };

  Inbox.prototype.selectAll = function (checked) {
    this.boxes().forEach(function (box) { box.checked = checked; });
    this.update();
  };

  Inbox.prototype.toggleCurrent = function () {
    var row = this.currentRow();
    if (!row) return;
    var box = row.querySelector(".row-select");
    box.checked = !box.checked;
    this.lastClicked = box;
    this.update();
  };

  Inbox.prototype.rangeClick = function (box, shift) {
    var boxes = this.boxes();
    if (shift && this.lastClicked && this.lastClicked !== box && boxes.indexOf(this.lastClicked) >= 0) {
      var from = boxes.indexOf(this.lastClicked);
      var to = boxes.indexOf(box);
      var step = from < to ? 1 : -1;
      for (var i = from; i !== to; i += step) boxes[i].checked = box.checked;
    }
    this.lastClicked = box;
    var row = box.closest("[data-row]");
    this.current = this.rows.indexOf(row);
    var current = this.current;
    this.rows.forEach(function (r, i) { r.classList.toggle("current", i === current); });
    this.update();
  };

  // Posts the bulk form with the given fields, for the ticked requests or else the current one.
  Inbox.prototype.bulk = function (fields) {
    var form = this.form;
    ["action", "status", "public_message", "assignee", "product_area", "tag", "target", "until"].forEach(function (name) {
      var field = form.elements["bulk-" + name];
      if (field) field.value = fields[name] || "";
    });
    submit(form); // the submit listener (see start) sets which requests
  };

  Inbox.prototype.snooze = function (until) {
    this.bulk({ action: "snooze", until: until }); // all the targets or none (feedback_bulk_apply)
  };

  Inbox.prototype.run = function (command, value) {
    var me = palette.dialog.dataset.me;
    if (command === "plan") this.bulk({ action: "status", status: "planned" });
    else if (command === "decline") this.bulk({ action: "status", status: "declined", public_message: value });
    else if (command === "ask") this.bulk({ action: "status", status: "needs_info", public_message: value });
    else if (command === "status") this.bulk({ action: "status", status: value });
    else if (command === "assign-me") this.bulk({ action: "assign", assignee: me });
    else if (command === "assign-to") this.bulk({ action: "assign", assignee: value });
    else if (command === "set-area") this.bulk({ action: "area", product_area: value });
    else if (command === "add-tag") this.bulk({ action: "tag", tag: value });
    else if (command === "merge") this.bulk({ action: "merge", target: value });
    else if (command === "snooze") this.snooze(value);
    else if (command === "unsnooze") this.snooze("");
    else if (command === "open") { var row = this.currentRow(); if (row) window.location = row.dataset.url; }
    else if (command === "select-all") this.selectAll(true);
    else if (command === "clear") this.selectAll(false);
    else if (command === "search") { var search = document.getElementById("id_q"); if (search) search.focus(); }
  };

  // After an action: put the changed rows in place, keep the cursor, clear the selection if it worked.
  Inbox.prototype.swapped = function () {
    var holder = this.feedback.querySelector("[data-updated-rows]");
    var currentId = this.currentRow() ? this.currentRow().dataset.id : null;
    if (holder) {
      var table = this.table;
      all("[data-row]", holder).forEach(function (fresh) {
        var old = table.querySelector('tbody [data-row][data-id="' + fresh.dataset.id + '"]');
        if (old) old.replaceWith(fresh);
      });
      holder.closest("table").remove();
    }
    this.refresh();
    var failed = this.feedback.querySelector(".message-error");
    if (!failed) this.selectAll(false);
    if (currentId) {
      var index = this.rows.findIndex(function (row) { return row.dataset.id === currentId; });
      if (index >= 0) this.focusRow(index);
    }
  };

  Inbox.prototype.key = function (event) {
    var key = event.key;
    // Enter, o and x act on the cursor's row, not on a button or a link elsewhere that has the focus.
    var onRow = this.currentRow() && (event.target === document.body || this.currentRow().contains(event.target));
    if (key === "j") this.focusRow(this.current + 1);
    else if (key === "k") this.focusRow(this.current - 1);
    else if ((key === "o" || key === "Enter") && onRow) this.run("open");
    else if (key === "x" && onRow) this.toggleCurrent();
    else if (key === "/") this.run("search");
    else return false;
    return true;
  };

  Inbox.prototype.dynamicCommands = function () {
    var texts = palette.dialog.dataset;
    return [
      ["id_bulk-assignee", "assign-to", texts.textAssignTo],
      ["id_bulk-product_area", "set-area", texts.textSetArea],
      ["id_bulk-tag", "add-tag", texts.textAddTag]
    ];
  };

  Inbox.prototype.start = function () {
    var inbox = this;
    all("[data-js-only]").forEach(function (el) { el.hidden = false; });
    var more = document.querySelector("[data-bulk-more]");
    if (more) more.open = false;
    var selectAll = document.querySelector("[data-select-all]");
    if (selectAll) {
      selectAll.hidden = false;
      selectAll.addEventListener("change", function () { inbox.selectAll(selectAll.checked); });
    }
    this.table.addEventListener("click", function (event) {
      var box = event.target.closest && event.target.closest(".row-select");
      if (box) inbox.rangeClick(box, event.shiftKey);
    });
    // The bulk form's own button acts on the ticked requests, or else on the cursor's row.
    document.addEventListener("submit", function (event) {
      if (event.target !== inbox.form) return;
      var row = inbox.currentRow();
      inbox.form.querySelector("[data-target-ids]").value = inbox.ticked().length ? "" : (row ? row.dataset.id : "");
    }, true);
    if (this.form) {
      all("[data-run]", this.form).forEach(function (button) {
        button.addEventListener("click", function () { palette.command(button.dataset.run); });
      });
    }
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target === inbox.feedback) inbox.swapped();
    });
    ["htmx:responseError", "htmx:sendError"].forEach(function (name) {
      document.body.addEventListener(name, function (event) {
        if (event.detail.target !== inbox.feedback) return;
        var message = document.createElement("p");
        message.className = "message message-error";
        message.textContent = palette.dialog.dataset.textError;
        inbox.feedback.replaceChildren(message);
      });
    });
    this.update();
  };

  // A request's page ----------------------------------------------------------------------------------
  function Detail() {}

  Detail.prototype.targets = function () { return ["this"]; };

  Detail.prototype.status = function (status, message) {
    var form = document.getElementById("status-form");
    if (!form) return;
    form.elements.status.value = status;
    form.elements.public_message.value = message || "";
    submit(form);
  };

  Detail.prototype.field = function (formId, name, value, add) {
    var form = document.getElementById(formId);
    if (!form) return;
    var field = form.elements[name];
    if (add && field.options) {
      all("option", field).forEach(function (option) { if (option.value === value) option.selected = true; });
    } else {
      field.value = value;
    }
    submit(form);
  };

  Detail.prototype.run = function (command, value) {
    if (command === "plan") this.status("planned");
    else if (command === "decline") this.status("declined", value);
    else if (command === "ask") this.status("needs_info", value);
    else if (command === "status") this.status(value);
    else if (command === "assign-me") this.field("assign-form", "assignee", palette.dialog.dataset.me);
    else if (command === "assign-to") this.field("assign-form", "assignee", value);
    else if (command === "set-area") this.field("area-form", "product_area", value);
    else if (command === "add-tag") this.field("tags-form", "tags", value, true);
    else if (command === "merge") this.field("merge-form", "target", value);
    else if (command === "snooze") this.field("snooze-form", "until", value);
    else if (command === "unsnooze") this.field("snooze-form", "until", "");
  };

  Detail.prototype.key = function (event) {
    if (event.key === "u") { window.location = document.querySelector(".detail-bar a").href; return true; }
    return false;
  };

  Detail.prototype.dynamicCommands = function () {
    var texts = palette.dialog.dataset;
    return [
      ["id_assignee", "assign-to", texts.textAssignTo, "assign-form"],
      ["id_product_area", "set-area", texts.textSetArea, "area-form"],
      ["id_tags", "add-tag", texts.textAddTag, "tags-form"]
    ];
  };

  Detail.prototype.start = function () {
    all("[data-js-only]").forEach(function (el) { el.hidden = false; });
    all("[data-run]").forEach(function (button) {
      button.addEventListener("click", function () { palette.command(button.dataset.run); });
    });
  };

  // The command palette -------------------------------------------------------------------------------
  var palette = {
    dialog: null,
    mode: "commands", // commands | text | picker | choices
    pending: null, // the command waiting for its text, its target or its date
    searchTimer: null,
    searchSeq: 0,

    setUp: function (dialog) {
      this.dialog = dialog;
      this.input = dialog.querySelector("[data-palette-input]");
      this.commands = dialog.querySelector("[data-palette-list]");
      this.choices = dialog.querySelector("[data-palette-choices]");
      this.results = document.createElement("ul");
      this.results.className = "palette-list";
      this.results.setAttribute("role", "listbox");
      this.results.hidden = true;
      this.choices.after(this.results);
      this.prompt = dialog.querySelector("[data-palette-prompt]");
      this.error = dialog.querySelector("[data-palette-error]");
      this.addDynamicCommands();
      all("[role=option]", dialog).forEach(function (option, i) { option.id = "palette-option-" + i; });
      var self = this;
      this.input.addEventListener("input", function () { self.typed(); });
      this.input.addEventListener("keydown", function (event) { self.keydown(event); });
      dialog.addEventListener("click", function (event) {
        if (event.target === dialog) { dialog.close(); return; } // the backdrop
        var option = event.target.closest && event.target.closest("[role=option]");
        if (option && !option.hidden) self.choose(option);
      });
      dialog.addEventListener("close", function () {
        self.reset();
        // Chrome gives the focus back a moment later: until then, keys must not go to a closed palette.
        if (document.activeElement === self.input) self.input.blur();
      });
    },

    // Assign to…, set area…, add tag…: one command per choice of the page's own menus.
    addDynamicCommands: function () {
      var list = this.commands;
      var help = list.querySelector('[data-command="help"]');
      page.dynamicCommands().forEach(function (spec) {
        var select = document.getElementById(spec[0]);
        if (!select || (spec[3] && !document.getElementById(spec[3]))) return;
        all("option", select).forEach(function (option) {
          if (!option.value) return;
          var item = document.createElement("li");
          item.setAttribute("role", "option");
          item.dataset.command = spec[1];
          item.dataset.value = option.value;
          item.dataset.needsTarget = "";
          item.textContent = spec[2] + " " + option.textContent;
          list.insertBefore(item, help);
        });
      });
    },

    visible: function () {
      var list = this.mode === "commands" ? this.commands : this.mode === "picker" ? this.results : this.choices;
      if (this.mode === "text") return [];
      return all("[role=option]", list).filter(function (option) { return !option.hidden; });
    },

    activate: function (option) {
      all("[role=option].active", this.dialog).forEach(function (o) {
        o.classList.remove("active");
        o.removeAttribute("aria-selected");
      });
      if (!option) { this.input.removeAttribute("aria-activedescendant"); return; }
      option.classList.add("active");
      option.setAttribute("aria-selected", "true");
      if (option.id) this.input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    },

    show: function (mode, command) {
      this.mode = mode;
      this.pending = command || null;
      this.error.hidden = true;
      this.input.value = "";
      this.commands.hidden = mode !== "commands";
      this.choices.hidden = mode !== "choices";
      this.results.hidden = mode !== "picker";
      this.results.replaceChildren();
      var prompt = command ? command.dataset.prompt || "" : "";
      this.prompt.textContent = prompt;
      this.prompt.hidden = !prompt;
      this.input.placeholder = mode === "commands" ? this.input.dataset.placeholder : "";
      this.input.setAttribute("aria-label", prompt || this.input.dataset.placeholder);
      if (mode === "picker") this.say(this.dialog.dataset.textTypeMore);
      this.typed();
      if (!this.dialog.open) this.dialog.showModal();
      this.input.focus();
    },

    open: function () { this.show("commands"); },

    reset: function () {
      this.mode = "commands";
      this.pending = null;
      all("[role=option]", this.commands).forEach(function (option) { option.hidden = false; });
    },

    say: function (text, isError) {
      this.error.textContent = text;
      this.error.hidden = !text;
      this.error.classList.toggle("is-error", Boolean(isError));
    },

    // Runs a command by name (a quick key, a button of the bulk bar), through its palette entry.
    command: function (name) {
      var option = this.commands.querySelector('[data-command="' + name + '"]');
      if (option) this.choose(option);
    },

    choose: function (option) {
      if (option.dataset.href) { window.location = option.dataset.href; return; }
      if (option.dataset.days) { this.finish(this.pending, daysFromNow(parseInt(option.dataset.days, 10))); return; }
      if (option.dataset.result) { this.finish(this.pending, option.dataset.result); return; }
      var command = option.dataset.command;
      // Declining needs the reason and asking needs the question, whichever way they are chosen.
      var asks = { declined: "decline", needs_info: "ask" }[command === "status" ? option.dataset.value : ""];
      if (asks) { this.command(asks); return; }
      if (command === "help") { this.close(); toggleHelp(); return; }
      if (option.hasAttribute("data-needs-target") && !page.targets().length) {
        if (!this.dialog.open) this.show("commands");
        this.say(this.dialog.dataset.textNoTarget, true);
        return;
      }
      if (command === "decline" || command === "ask") this.show("text", option);
      else if (command === "merge") this.show("picker", option);
      else if (command === "snooze") this.show("choices", option);
      else this.finish(option, option.dataset.value || "");
    },

    finish: function (option, value) {
      this.close();
      page.run(option.dataset.command, value);
    },

    close: function () {
      if (this.dialog.open) this.dialog.close();
    },

    typed: function () {
      var words = fold(this.input.value).split(/\s+/).filter(Boolean);
      if (this.mode === "commands") {
        var shown = 0;
        all("[role=option]", this.commands).forEach(function (option) {
          var text = fold(option.textContent);
          option.hidden = !words.every(function (word) { return text.indexOf(word) >= 0; });
          if (!option.hidden) shown += 1;
        });
        this.say(shown ? "" : this.dialog.dataset.textNoMatch);
      } else if (this.mode === "picker") {
        this.search();
      } else if (this.mode === "text") {
        this.say("");
      }
      this.activate(this.visible()[0]);
    },

    search: function () {
      var self = this;
      var q = this.input.value.trim();
      window.clearTimeout(this.searchTimer);
      if (q.length < 2 && !/^#?\d+$/.test(q)) {
        this.results.replaceChildren();
        this.say(this.dialog.dataset.textTypeMore);
        return;
      }
      this.searchTimer = window.setTimeout(function () {
        var seq = ++self.searchSeq;
        var url = new URL(self.dialog.dataset.searchUrl, window.location.href);
        url.searchParams.set("q", q);
        var targets = page.targets();
        var exclude = self.dialog.dataset.exclude || (targets.length === 1 ? targets[0] : "");
        if (exclude) url.searchParams.set("exclude", exclude);
        self.say(self.dialog.dataset.textSearching);
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.json(); })
          .then(function (body) {
            if (seq !== self.searchSeq || self.mode !== "picker") return;
            self.results.replaceChildren();
            body.results.forEach(function (item, i) {
              var option = document.createElement("li");
              option.setAttribute("role", "option");
              option.id = "palette-result-" + i;
              option.dataset.result = String(item.id);
              option.dataset.testid = "merge-pick";
              option.textContent = "#" + item.id + " " + item.title;
              var meta = document.createElement("span");
              meta.className = "muted";
              meta.textContent = item.organization + " · " + item.status;
              option.append(" ", meta);
              self.results.append(option);
            });
            self.say(body.results.length ? "" : self.dialog.dataset.textNoResult);
            self.activate(self.visible()[0]);
          })
          .catch(function () { self.say(self.dialog.dataset.textError, true); });
      }, 180);
    },

    keydown: function (event) {
      var options = this.visible();
      var active = this.dialog.querySelector("[role=option].active");
      var index = options.indexOf(active);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!options.length) return;
        var step = event.key === "ArrowDown" ? 1 : -1;
        this.activate(options[(index + step + options.length) % options.length]);
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (this.mode === "text") {
          var text = this.input.value.trim();
          if (!text) { this.say(this.dialog.dataset.textNeedText, true); return; }
          this.finish(this.pending, text);
        } else if (active) {
          this.choose(active);
        }
      } else if (event.key === "Escape" && this.mode !== "commands") {
        event.preventDefault();
        this.show("commands");
      }
    }
  };

  function toggleHelp() {
    var help = document.getElementById("shortcuts");
    if (help) help.hidden = !help.hidden;
    else palette.open();
  }

  // Inbox filters: collapsed behind a button on a phone; company names suggested while typing. ------
  function setUpFilters() {
    var form = document.querySelector("[data-filters]");
    if (!form) return;
    var toggle = form.querySelector("[data-filters-toggle]");
    var extra = document.getElementById("filter-extra");
    form.classList.add("js-filters");
    if (toggle && extra) {
      toggle.hidden = false;
      if (extra.querySelector("[aria-invalid]")) extra.classList.add("open");
      toggle.setAttribute("aria-expanded", String(extra.classList.contains("open")));
      toggle.addEventListener("click", function () {
        var open = !extra.classList.contains("open");
        extra.classList.toggle("open", open);
        toggle.setAttribute("aria-expanded", String(open));
      });
    }
    var organization = document.getElementById("id_organization");
    var options = document.getElementById("organization-options");
    if (!organization || !options) return;
    var timer = null;
    var seq = 0;
    organization.addEventListener("input", function () {
      window.clearTimeout(timer);
      var q = organization.value.trim();
      if (!q) { options.replaceChildren(); return; }
      timer = window.setTimeout(function () {
        var mine = ++seq;
        var url = new URL(organization.dataset.autocomplete, window.location.href);
        url.searchParams.set("q", q);
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.json(); })
          .then(function (body) {
            if (mine !== seq) return;
            var names = {};
            body.results.forEach(function (org) { names[org.name] = (names[org.name] || 0) + 1; });
            options.replaceChildren.apply(options, body.results.map(function (org) {
              var option = document.createElement("option");
              // Two companies of the same name: offer their identifiers, which the filter also accepts.
              option.value = names[org.name] > 1 ? org.slug : org.name;
              option.textContent = names[org.name] > 1 ? org.name : "";
              return option;
            }));
          })
          .catch(function () { options.replaceChildren(); });
      }, 150);
    });
  }

  // Start ---------------------------------------------------------------------------------------------
  function start() {
    var dialog = document.getElementById("palette");
    var table = document.querySelector("[data-inbox]");
    if (!dialog) return;
    page = table ? new Inbox(table) : new Detail();
    palette.setUp(dialog);
    page.start();
    setUpFilters();

    var mac = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
    all("[data-palette-kbd]").forEach(function (kbd) { kbd.textContent = mac ? "⌘ K" : "Ctrl K"; });
    all("[data-palette-open]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { palette.open(); });
    });
    var toggle = document.querySelector("[data-shortcuts-toggle]");
    if (toggle) toggle.addEventListener("click", toggleHelp);

    var quick = { p: "plan", d: "decline", i: "ask", a: "assign-me", m: "merge", s: "snooze" };
    document.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && (event.key === "k" || event.key === "K")) {
        event.preventDefault();
        if (palette.dialog.open) palette.close();
        else palette.open();
        return;
      }
      var closedPalette = event.target === palette.input && !palette.dialog.open;
      if (palette.dialog.open || (typing(event.target) && !closedPalette)) return;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (page.key(event)) { event.preventDefault(); return; }
      if (event.key === "?") { toggleHelp(); event.preventDefault(); return; }
      var command = quick[event.key];
      if (command && palette.commands.querySelector('[data-command="' + command + '"]')) {
        event.preventDefault();
        palette.command(command);
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
