//! TFRecord framing, as TensorFlow's `RecordWriter` writes it: for each record
//! `u64 length (LE) · u32 masked CRC32C of the length · data · u32 masked CRC32C of data`.

/// TFRecord's CRC mask: rotate right by 15 bits, add a constant (so that a CRC of
/// data that itself holds CRCs is not trivially related to them).
pub fn masked_crc32c(data: &[u8]) -> u32 {
    let crc = crc32c::crc32c(data);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// Append one framed record holding `data` to `out`.
pub fn frame(data: &[u8], out: &mut Vec<u8>) {
    let len = (data.len() as u64).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc32c(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc32c(data).to_le_bytes());
}

/// The records of a TFRecord byte stream, in order, up to the first one that is torn or
/// fails its checksum (a crash while writing leaves such a tail; it is dropped).
pub fn records(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while let Some(header) = bytes.get(at..at + 12) {
        let len_bytes: [u8; 8] = header[..8].try_into().expect("8 bytes");
        let crc = u32::from_le_bytes(header[8..12].try_into().expect("4 bytes"));
        if masked_crc32c(&len_bytes) != crc {
            break;
        }
        let Ok(len) = usize::try_from(u64::from_le_bytes(len_bytes)) else {
            break;
        };
        let start = at + 12;
        let Some(end) = start.checked_add(len).filter(|e| e + 4 <= bytes.len()) else {
            break;
        };
        let data = &bytes[start..end];
        let crc = u32::from_le_bytes(bytes[end..end + 4].try_into().expect("4 bytes"));
        if masked_crc32c(data) != crc {
            break;
        }
        out.push(data);
        at = end + 4;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_published_check_value() {
        // CRC-32C("123456789") = 0xE3069283 (RFC 3720, appendix B.4).
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        // Masked by hand: rotr(0xE3069283, 15) = 0x2507C60D, + 0xA282EAD8 = 0xC78AB0E5.
        assert_eq!(masked_crc32c(b"123456789"), 0xc78a_b0e5);
    }

    #[test]
    fn records_round_trip_and_a_torn_tail_is_dropped() {
        let mut bytes = Vec::new();
        frame(b"first", &mut bytes);
        frame(b"", &mut bytes);
        frame(b"third record", &mut bytes);
        assert_eq!(
            records(&bytes),
            vec![&b"first"[..], &b""[..], &b"third record"[..]]
        );
        // Cut inside the last record: the first two survive.
        let torn = &bytes[..bytes.len() - 3];
        assert_eq!(records(torn), vec![&b"first"[..], &b""[..]]);
        // A flipped data byte fails the data CRC: that record and all after it go.
        let mut flipped = bytes.clone();
        flipped[12] ^= 1;
        assert!(records(&flipped).is_empty());
    }
}
