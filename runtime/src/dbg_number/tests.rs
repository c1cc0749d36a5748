use super::*;

fn py(value: &dyn PyNumber, spec: impl Fn(&dyn Display) -> String) -> String {
    spec(&Number {
        value,
        grouping: None,
        percent: false,
        space_sign: false,
        sign_aware_fill: None,
    })
}

#[test]
fn groups_digits_as_python_does() {
    assert_eq!(
        format!("{}", number(&1_234_567, Some(','), false, false, None)),
        "1,234,567"
    );
    assert_eq!(
        format!("{}", number(&-1_234, Some('_'), false, false, None)),
        "-1_234"
    );
    assert_eq!(
        format!("{:.2}", number(&1234.5, Some(','), false, false, None)),
        "1,234.50"
    );
    assert_eq!(
        format!("{:>10}", number(&123_456, Some(','), false, false, None)),
        "   123,456"
    );
    assert_eq!(group("999", ','), "999");
}

#[test]
fn percent_space_sign_and_sign_aware_fill() {
    assert_eq!(
        format!("{:.1}", number(&0.256, None, true, false, None)),
        "25.6%"
    );
    assert_eq!(
        format!("{}", number(&1, None, true, false, None)),
        "100.000000%"
    );
    assert_eq!(format!("{}", number(&5, None, false, true, None)), " 5");
    assert_eq!(format!("{}", number(&-5, None, false, true, None)), "-5");
    assert_eq!(
        format!("{:8}", number(&-42, None, false, false, Some('*'))),
        "-*****42"
    );
    assert_eq!(
        format!("{:+08}", number(&42, None, false, false, None)),
        "+0000042"
    );
    assert_eq!(py(&3u8, |n| format!("{n:^5}")), "  3  ");
}
