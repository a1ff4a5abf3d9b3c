//! Plurals of generated type names: App Services' "natural pluralization" (`use_natural_pluralization`,
//! on for every app created since it existed) uses common English plurals ("people", "mice",
//! "categories"), else the singular with an "s".

/// Words whose plural is the word.
const UNCOUNTABLE: [&str; 10] = [
    "equipment",
    "information",
    "rice",
    "money",
    "species",
    "series",
    "fish",
    "sheep",
    "jeans",
    "police",
];

/// Irregular plurals.
const IRREGULAR: [(&str, &str); 7] = [
    ("person", "people"),
    ("ox", "oxen"),
    ("man", "men"),
    ("child", "children"),
    ("sex", "sexes"),
    ("move", "moves"),
    ("zombie", "zombies"),
];

/// Endings and what replaces them, the first that matches wins (Rails' English inflections,
/// which most pluralization libraries share).
const ENDINGS: [(&str, &str); 25] = [
    ("quiz", "quizzes"),
    ("mouse", "mice"),
    ("louse", "lice"),
    ("matrix", "matrices"),
    ("vertex", "vertices"),
    ("index", "indices"),
    ("alias", "aliases"),
    ("status", "statuses"),
    ("campus", "campuses"),
    ("octopus", "octopi"),
    ("virus", "viri"),
    ("cactus", "cacti"),
    ("axis", "axes"),
    ("testis", "testes"),
    ("buffalo", "buffaloes"),
    ("tomato", "tomatoes"),
    ("bus", "buses"),
    ("hive", "hives"),
    ("sis", "ses"),
    ("tum", "ta"),
    ("ium", "ia"),
    ("ch", "ches"),
    ("sh", "shes"),
    ("ss", "sses"),
    ("x", "xes"),
];

/// The plural of `name` (a type name such as `Movie` or `Person`), keeping its first letter's case.
pub fn plural(name: &str, natural: bool) -> String {
    if !natural {
        return format!("{name}s");
    }
    let lower = name.to_lowercase();
    let keep = |plural_lower: &str| {
        // The singular's own spelling up to where the ending changes.
        let common = lower
            .chars()
            .zip(plural_lower.chars())
            .take_while(|(a, b)| a == b)
            .count();
        let head: String = name.chars().take(common).collect();
        let tail: String = plural_lower.chars().skip(common).collect();
        format!("{head}{tail}")
    };
    if UNCOUNTABLE.iter().any(|u| lower.ends_with(u)) {
        return name.to_string();
    }
    for (one, many) in IRREGULAR {
        if lower == one || lower.ends_with(&format!("_{one}")) {
            return keep(&format!("{}{many}", &lower[..lower.len() - one.len()]));
        }
    }
    for (one, many) in ENDINGS {
        if let Some(stem) = lower.strip_suffix(one) {
            return keep(&format!("{stem}{many}"));
        }
    }
    // A consonant (or "qu") before a final "y": "ies".
    if let Some(stem) = lower.strip_suffix('y')
        && (stem.ends_with("qu") || stem.chars().last().is_some_and(|c| !"aeiouy".contains(c)))
    {
        return keep(&format!("{stem}ies"));
    }
    // "life" -> "lives", "wolf" -> "wolves" (not "roof": only after l or r, or "fe").
    if let Some(stem) = lower.strip_suffix("fe").filter(|s| !s.ends_with('f')) {
        return keep(&format!("{stem}ves"));
    }
    if let Some(stem) = lower
        .strip_suffix('f')
        .filter(|s| s.ends_with('l') || s.ends_with('r'))
    {
        return keep(&format!("{stem}ves"));
    }
    if lower.ends_with('s') {
        return name.to_string();
    }
    format!("{name}s")
}

#[cfg(test)]
mod tests {
    use super::plural;

    #[test]
    fn plurals_are_common_english() {
        for (one, many) in [
            ("Movie", "Movies"),
            ("Person", "People"),
            ("Mouse", "Mice"),
            ("Category", "Categories"),
            ("Day", "Days"),
            ("Status", "Statuses"),
            ("Box", "Boxes"),
            ("Ox", "Oxen"),
            ("Church", "Churches"),
            ("Wolf", "Wolves"),
            ("Knife", "Knives"),
            ("Datum", "Data"),
            ("Series", "Series"),
            ("Task", "Tasks"),
            ("task", "tasks"),
            ("Child", "Children"),
            ("Address", "Addresses"),
        ] {
            assert_eq!(plural(one, true), many, "{one}");
        }
        assert_eq!(plural("Mouse", false), "Mouses");
    }
}
