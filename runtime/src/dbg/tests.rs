use super::*;

#[test]
fn conversions_pad_their_text() {
    assert_eq!(format!("{:^12}", repr("A string")), r#" "A string" "#);
    assert_eq!(format!("{:.2}", text(&2.71)), "2.");
    assert_eq!(format!("{}", ascii("Zürich")), r#""Z\u{fc}rich""#);
}
