//! "Did you mean": the known name nearest to a misspelt one (strsim's optimal string
//! alignment distance: a letter changed, dropped, added, or two letters swapped).

/// The known name nearest to `name`, when it is near enough to be a slip: equal but for
/// case, or at most a third of its letters (and at most two) edited. The first of equally
/// near names wins.
pub fn nearest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let limit = edit_limit(name);
    known
        .into_iter()
        .filter_map(|candidate| {
            let distance = strsim::osa_distance(&lower, &candidate.to_lowercase());
            (distance <= limit).then_some((distance, candidate))
        })
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// How many edits a misspelling of `name` may have: a third of its letters, 1 or 2.
pub fn edit_limit(name: &str) -> usize {
    (name.chars().count() / 3).clamp(1, 2)
}

/// `"; did you mean `x`?"` for the name nearest to `name`, or nothing.
pub fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    nearest(name, known)
        .map(|known| format!("; did you mean `{known}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slips_find_their_name_and_strangers_find_none() {
        let known = ["zone", "region", "capacity", "ACTIVE_PASSIVE", "N_WAY"];
        assert_eq!(nearest("zoen", known), Some("zone"));
        assert_eq!(nearest("capacty", known), Some("capacity"));
        assert_eq!(nearest("ACTIVE_PASIVE", known), Some("ACTIVE_PASSIVE"));
        assert_eq!(nearest("active_passive", known), Some("ACTIVE_PASSIVE"));
        assert_eq!(nearest("RAFT", known), None);
        assert_eq!(nearest("colour", known), None);
        assert_eq!(did_you_mean("regoin", known), "; did you mean `region`?");
        assert_eq!(did_you_mean("xyz", known), "");
    }
}
