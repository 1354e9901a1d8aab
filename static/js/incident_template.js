/* Progressive enhancement of "Start from a template" on the new-incident form: picking a template fills the
   form at once (name, status, impact, first update, affected components), with no button and no reload.
   Without this script the picker is a GET form that reloads the page filled in. */
(function () {
  var picker = document.querySelector("form.template-picker");
  var data = document.getElementById("template-data");
  if (!picker || !data) return;
  var templates = JSON.parse(data.textContent);
  var select = picker.querySelector("select");
  var button = picker.querySelector("button");
  if (button) button.style.display = "none";  // .button's display would win over the hidden attribute
  var form = document.querySelector("form.incident-form");
  function set(id, value) {
    var el = document.getElementById(id);
    if (el && value !== undefined && value !== null) el.value = value;
  }
  select.addEventListener("change", function () {
    var t = templates[select.value];
    if (!t) return;
    set("name", t.name);
    set("body", t.body);
    set("status", t.status);
    set("impact", t.impact || "");
    form.querySelectorAll("select[name^='component-']").forEach(function (el) {
      el.value = t.components[el.name.slice("component-".length)] || "";
    });
    var status = document.getElementById("template-status");
    if (status) status.textContent = "Filled in from the template “" + select.options[select.selectedIndex].text + "”. Check it, then open the incident.";
  });
})();
