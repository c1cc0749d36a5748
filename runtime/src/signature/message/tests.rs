use super::Message;

#[test]
fn numbers_and_plurals() {
    let m = Message::new()
        .push_number(0)
        .push(" ")
        .push_number(1234)
        .push(" ")
        .push_plural("argument", 1)
        .push(" ")
        .push_plural("argument", 2)
        .push(" ")
        .push_number(usize::MAX);
    assert_eq!(m.as_str(), "0 1234 argument arguments 18446744073709551615");
}

#[test]
fn long_messages_are_cut_at_a_character_boundary() {
    let mut m = Message::new();
    for _ in 0..400 {
        m = m.push("é");
    }
    let text = m.as_str();
    assert!(text.ends_with("..."), "{text}");
    assert!(text.len() <= Message::CAPACITY);
    assert!(text.trim_end_matches("...").chars().all(|c| c == 'é'));
}
