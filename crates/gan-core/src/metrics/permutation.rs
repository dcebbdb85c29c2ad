//! Best-permutation accuracy: how well an unsupervised assignment (e.g. InfoGAN's
//! categorical code, or cluster ids) matches class labels when the assignment's values
//! may be any relabelling of the classes.
//!
//! The best one-to-one matching of predicted values to classes is found exactly with
//! the Hungarian algorithm on the confusion matrix (O(K³)), so K = 10 costs nothing.

use crate::check;
use crate::error::{CoreError, Result};

/// The result of [`best_permutation_accuracy`].
#[derive(Clone, Debug, PartialEq)]
pub struct PermutationMatch {
    /// Fraction of samples whose predicted value maps to their class.
    pub accuracy: f64,
    /// `mapping[p]` = the class matched to predicted value `p` (`None` if unmatched,
    /// possible only when there are more predicted values than classes).
    pub mapping: Vec<Option<usize>>,
}

/// Accuracy of `predicted` (values in `0..k_pred`) against `truth` (values in
/// `0..k_true`) under the one-to-one relabelling of predicted values that maximises it.
/// Errors on empty or mismatched input or values out of range.
pub fn best_permutation_accuracy(
    predicted: &[usize],
    truth: &[usize],
    k_pred: usize,
    k_true: usize,
) -> Result<PermutationMatch> {
    const WHAT: &str = "best_permutation_accuracy";
    check::same_len(WHAT, predicted.len(), truth.len())?;
    if predicted.is_empty() || k_pred == 0 || k_true == 0 {
        return Err(CoreError::Empty {
            what: WHAT,
            reason: "need at least one sample and one value on each side".into(),
        });
    }
    let n = k_pred.max(k_true);
    let mut counts = vec![vec![0i64; n]; n];
    for (&p, &t) in predicted.iter().zip(truth) {
        if p >= k_pred || t >= k_true {
            return Err(CoreError::InvalidInput {
                what: WHAT,
                reason: format!(
                    "predicted value {p} (< {k_pred}) or class {t} (< {k_true}) out of range"
                ),
            });
        }
        counts[p][t] += 1;
    }
    // Maximise matches = minimise −counts.
    let cost: Vec<Vec<i64>> = counts
        .iter()
        .map(|row| row.iter().map(|&c| -c).collect())
        .collect();
    let assignment = hungarian(&cost);
    let matched: i64 = assignment
        .iter()
        .enumerate()
        .map(|(p, &t)| counts[p][t])
        .sum();
    let mapping = (0..k_pred)
        .map(|p| Some(assignment[p]).filter(|&t| t < k_true))
        .collect();
    Ok(PermutationMatch {
        accuracy: matched as f64 / predicted.len() as f64,
        mapping,
    })
}

/// Minimum-cost perfect matching of a square cost matrix (Kuhn–Munkres with potentials,
/// O(n³)). Returns `assignment[row] = column`.
fn hungarian(cost: &[Vec<i64>]) -> Vec<usize> {
    let n = cost.len();
    // 1-based arrays as in the classic formulation; column 0 is a sentinel.
    let mut u = vec![0i64; n + 1];
    let mut v = vec![0i64; n + 1];
    let mut row_of_col = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for i in 1..=n {
        row_of_col[0] = i;
        let mut j0 = 0usize;
        let mut minv = vec![i64::MAX; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = row_of_col[j0];
            let mut delta = i64::MAX;
            let mut j1 = 0usize;
            for j in 1..=n {
                if !used[j] {
                    let cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[row_of_col[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if row_of_col[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            row_of_col[j0] = row_of_col[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut assignment = vec![0usize; n];
    for j in 1..=n {
        if row_of_col[j] > 0 {
            assignment[row_of_col[j] - 1] = j - 1;
        }
    }
    assignment
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relabelling_is_perfect() {
        let truth = [0, 1, 2, 0, 1, 2];
        let predicted = [2, 0, 1, 2, 0, 1];
        let m = best_permutation_accuracy(&predicted, &truth, 3, 3).unwrap();
        assert_eq!(m.accuracy, 1.0);
        assert_eq!(m.mapping, vec![Some(1), Some(2), Some(0)]);
    }

    #[test]
    fn one_to_one_not_majority_vote() {
        // Predicted 0 is mostly class 0, predicted 1 is also mostly class 0: a majority
        // vote would map both to 0 (5/6); a permutation must map one of them to class 1.
        let truth = [0, 0, 0, 0, 0, 1];
        let predicted = [0, 0, 0, 1, 1, 1];
        let m = best_permutation_accuracy(&predicted, &truth, 2, 2).unwrap();
        assert!((m.accuracy - 4.0 / 6.0).abs() < 1e-12, "{}", m.accuracy);
    }

    #[test]
    fn agrees_with_brute_force_on_random_confusions() {
        // Deterministic pseudo-random data; brute force over all 4! permutations.
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize
        };
        for _ in 0..20 {
            let truth: Vec<usize> = (0..40).map(|_| next() % 4).collect();
            let predicted: Vec<usize> = (0..40).map(|_| next() % 4).collect();
            let got = best_permutation_accuracy(&predicted, &truth, 4, 4)
                .unwrap()
                .accuracy;
            let mut best = 0usize;
            let mut perm = [0usize, 1, 2, 3];
            permutations(&mut perm, 0, &mut |p| {
                let hits = predicted
                    .iter()
                    .zip(&truth)
                    .filter(|(a, b)| p[**a] == **b)
                    .count();
                best = best.max(hits);
            });
            assert!((got - best as f64 / 40.0).abs() < 1e-12);
        }
    }

    fn permutations(p: &mut [usize; 4], k: usize, f: &mut impl FnMut(&[usize; 4])) {
        if k == p.len() {
            f(p);
            return;
        }
        for i in k..p.len() {
            p.swap(k, i);
            permutations(p, k + 1, f);
            p.swap(k, i);
        }
    }

    #[test]
    fn more_predicted_values_than_classes() {
        let m = best_permutation_accuracy(&[0, 1, 2, 2], &[0, 1, 1, 1], 3, 2).unwrap();
        assert_eq!(m.accuracy, 0.75);
        assert_eq!(m.mapping.iter().filter(|x| x.is_none()).count(), 1);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(best_permutation_accuracy(&[], &[], 2, 2).is_err());
        assert!(best_permutation_accuracy(&[0, 1], &[0], 2, 2).is_err());
        let e = best_permutation_accuracy(&[0, 5], &[0, 1], 2, 2).unwrap_err();
        assert!(e.to_string().contains("out of range"), "{e}");
    }
}
