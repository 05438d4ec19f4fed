"""jq definitions prepended to every filter: Weaver's `semconv_*` helpers, same names and options.

Options (a jq object, e.g. `semconv_grouped_attributes({"exclude_deprecated": true})`):
- `stable_only`: keep stable items only;
- `exclude_stability`: stability values to drop; `experimental` stands for every non-stable level
  and for a missing stability;
- `exclude_deprecated`: drop deprecated items;
- `exclude_root_namespace`: root namespaces to drop (signals: the namespace after the type prefix);
- `ignore_code_generation_annotations`: keep items marked `annotations.code_generation.exclude: true`,
  which are dropped by default.
Attribute and enum-member filters apply to enum members too; signal filters apply to the signal and
to its attributes. Written for this project; the behaviour follows Weaver's defaults/jq/semconv.jq.
"""

from __future__ import annotations

_DEFINITIONS = r"""
def _semconv_not_stable: ["development", "alpha", "beta", "release_candidate", "experimental", "", null];

def _semconv_dropped_stability($options):
  ($options.exclude_stability // []) as $listed
  | if any($listed[]; . == "experimental") then $listed + _semconv_not_stable else $listed end;

def _semconv_kept($options):
  . as $item
  | ($options.stable_only != true or $item.stability == "stable")
    and (any(_semconv_dropped_stability($options)[]; . == $item.stability) | not)
    and ($options.ignore_code_generation_annotations == true
         or ($item.annotations.code_generation.exclude? // false) != true)
    and ($options.exclude_deprecated != true or $item.deprecated == null);

def _semconv_select($options):
  map(select(_semconv_kept($options))
      | if (.type | type) == "object" and .type.members != null
        then .type.members |= map(select(_semconv_kept($options)))
        else . end);

def _semconv_drop_namespaces($options):
  ($options.exclude_root_namespace // []) as $dropped
  | map(select(.root_namespace as $ns | any($dropped[]; . == $ns) | not));

def _semconv_first_segment: if contains(".") then split(".")[0] else "other" end;
def _semconv_second_segment: if contains(".") then split(".")[1] else "other" end;

def semconv_attributes($options):
  [.groups[] | select(.type == "attribute_group" and (.id | startswith("registry."))) | (.attributes // [])[]]
  | _semconv_select($options)
  | map(. + {root_namespace: (.name | _semconv_first_segment)})
  | _semconv_drop_namespaces($options)
  | sort_by(.root_namespace, .name);
def semconv_attributes: semconv_attributes({});

def semconv_group_attributes_by_root_namespace:
  group_by(.root_namespace) | map({root_namespace: .[0].root_namespace, attributes: sort_by(.name)});

def semconv_grouped_attributes($options):
  semconv_attributes($options) | semconv_group_attributes_by_root_namespace;
def semconv_grouped_attributes: semconv_grouped_attributes({});

def semconv_signal($signal; $options):
  (if $signal == "resource" then "entity" else $signal end) as $type
  | [.groups[] | select(.type == $type)]
  | _semconv_select($options)
  | map(if .attributes == null then . else .attributes |= _semconv_select($options) end)
  | map(. + {root_namespace: (.id | _semconv_second_segment)})
  | _semconv_drop_namespaces($options)
  | sort_by(.root_namespace);

def _semconv_grouped($key; order):
  group_by(.root_namespace) | map({root_namespace: .[0].root_namespace, ($key): sort_by(order)});

def semconv_metrics($options): semconv_signal("metric"; $options) | sort_by(.metric_name);
def semconv_metrics: semconv_metrics({});
def semconv_group_metrics_by_root_namespace: _semconv_grouped("metrics"; .metric_name);
def semconv_grouped_metrics($options): semconv_metrics($options) | semconv_group_metrics_by_root_namespace;
def semconv_grouped_metrics: semconv_grouped_metrics({});

def semconv_spans($options): semconv_signal("span"; $options) | sort_by(.id);
def semconv_spans: semconv_spans({});
def semconv_grouped_spans($options): semconv_spans($options) | _semconv_grouped("spans"; .id);
def semconv_grouped_spans: semconv_grouped_spans({});

def semconv_events($options): semconv_signal("event"; $options) | sort_by(.name);
def semconv_events: semconv_events({});
def semconv_grouped_events($options): semconv_events($options) | _semconv_grouped("events"; .name);
def semconv_grouped_events: semconv_grouped_events({});

def semconv_entities($options): semconv_signal("entity"; $options) | sort_by(.name);
def semconv_entities: semconv_entities({});
def semconv_grouped_entities($options): semconv_entities($options) | _semconv_grouped("entities"; .name);
def semconv_grouped_entities: semconv_grouped_entities({});
"""

# On one line, so a jq error at line N of a filter is reported by jq as line N + 1.
PRELUDE = " ".join(line.strip() for line in _DEFINITIONS.splitlines() if line.strip()) + "\n"
