"""Tests for training.denoiser: pairing, whole-text split, crops, a short run that yields a model
the engine can load (train-then-clean smoke test)."""

import numpy as np
import pytest
import torch
from PIL import Image

from docclean import Denoiser
from docclean.errors import DataError
from docclean.io import read_gray
from docclean.model import DocUNet, DocUNetConfig
from training.denoiser import CropBatches, DenoiserTaskConfig, find_pairs, mse_loss, split_by_text, train
from training.denoiser_data import reexpose
from training.loop import FitConfig


def save(path, arr):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((np.clip(arr, 0, 1) * 255).astype(np.uint8)).save(path)


def task(pairs_dir, **kw):
    return DenoiserTaskConfig(data=pairs_dir, val_texts=1, crop=32, batch_size=4, batches_per_epoch=3,
                              scales=[1.0, 1.5], **kw)


def test_split_holds_out_whole_texts(pairs_dir):
    pairs = find_pairs(pairs_dir)
    train_pairs, val_pairs = split_by_text(pairs, val_texts=1)
    assert len(val_pairs) == 2 and len(train_pairs) == 6
    val_names = {n.name for n, _ in val_pairs}
    text_of = lambda name: int(name.split(".")[0]) // 2  # noqa: E731
    assert len({text_of(n) for n in val_names}) == 1
    assert not {text_of(n.name) for n, _ in train_pairs} & {text_of(n) for n in val_names}


def test_split_takes_the_texts_from_another_folder_when_targets_differ_page_by_page(pairs_dir, tmp_path):
    # Distillation: every target is a model's own output, so no two pages share a clean image.
    distilled = tmp_path / "distilled"
    for noisy, _ in find_pairs(pairs_dir):
        save(distilled / "train" / noisy.name, read_gray(noisy))
        save(distilled / "train_cleaned" / noisy.name, read_gray(noisy) * 0.9)
    pairs = find_pairs(distilled)
    assert len(split_by_text(pairs, val_texts=1)[1]) == 1  # each page looks like a text of its own
    train_pairs, val_pairs = split_by_text(pairs, val_texts=1, texts_from=pairs_dir / "train_cleaned")
    text_of = lambda name: int(name.split(".")[0]) // 2  # noqa: E731
    assert len(val_pairs) == 2 and len({text_of(n.name) for n, _ in val_pairs}) == 1
    assert not {text_of(n.name) for n, _ in train_pairs} & {text_of(n.name) for n, _ in val_pairs}


def test_missing_clean_page_is_named(pairs_dir):
    (pairs_dir / "train_cleaned" / "3.png").unlink()
    with pytest.raises(DataError, match="3.png"):
        find_pairs(pairs_dir)
    with pytest.raises(DataError, match="folder not found"):
        find_pairs(pairs_dir / "nope")


def test_crops_shape_and_seed(pairs_dir):
    batches = CropBatches(find_pairs(pairs_dir), task(pairs_dir, augment_prob=1.0))
    np.random.seed(7)
    first = [b[0].clone() for b in batches]
    np.random.seed(7)
    again = [b[0].clone() for b in batches]
    assert len(first) == 3 and first[0].shape == (4, 1, 32, 32)
    assert all(torch.equal(a, b) for a, b in zip(first, again))


def test_reexpose_darkens_or_pales_the_page_and_keeps_white_or_black():
    page = np.array([[0.0, 0.5, 1.0]], np.float32)
    dark, pale = reexpose(page, True, 0.0), reexpose(page, False, 0.0)
    np.testing.assert_allclose(dark, [[0.0, 0.3, 0.6]], atol=1e-6)  # gain 0.6: black stays black
    np.testing.assert_allclose(pale, [[0.5, 0.75, 1.0]], atol=1e-6)  # contrast halved: white stays white
    np.testing.assert_allclose(reexpose(page, True, 1.0), page)


def test_exposure_changes_noisy_crops_only(pairs_dir):
    def first_batch(exposure):
        np.random.seed(3)
        return next(iter(CropBatches(find_pairs(pairs_dir), task(pairs_dir, augment_prob=0.0, exposure=exposure))))

    (n0, c0), (n1, c1) = first_batch(1e-9), first_batch(1.0)
    assert torch.equal(c0, c1)
    assert not torch.equal(n0, n1)
    assert n1.mean() != n0.mean()


def test_loss_falls_on_fixed_batch(pairs_dir):
    torch.manual_seed(0)
    np.random.seed(0)
    batch = next(iter(CropBatches(find_pairs(pairs_dir), task(pairs_dir))))
    model = DocUNet(DocUNetConfig(unshuffle=2, widths=[8, 8], blocks=[1, 1]))
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    losses = []
    for _ in range(30):
        loss, _ = mse_loss(model, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.5 * losses[0]


def test_train_then_clean(pairs_dir, tmp_path):
    fit_cfg = FitConfig(out_dir=tmp_path / "run", epochs=2, lr=3e-3, seed=1)
    result = train(task(pairs_dir), fit_cfg, DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    assert result.epochs_run == 2 and {"val_rmse", "val_rmse_x2"} <= set(result.history[-1])
    den = Denoiser.load(result.best_path, precision="fp32")
    assert den.metadata["task"] == "denoiser" and len(den.metadata["val_pages"]) == 2
    page = np.random.default_rng(0).random((40, 50), dtype=np.float32)
    assert den.clean(page).shape == (40, 50)


def test_fine_tune_from_checkpoint_keeps_architecture_and_provenance(pairs_dir, tmp_path):
    first = train(task(pairs_dir), FitConfig(out_dir=tmp_path / "a", epochs=1, lr=3e-3),
                  DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    tuned = train(task(pairs_dir), FitConfig(out_dir=tmp_path / "b", epochs=1, lr=1e-3),
                  init_from=first.best_path)
    den = Denoiser.load(tuned.best_path, precision="fp32")
    assert den.metadata["config"]["widths"] == [4, 8]
    assert den.metadata["init_from"]["path"] == str(first.best_path)


def test_trains_on_tiny_synthetic_pages_with_selection_split(pairs_dir, tmp_path):
    """Real pairs + a cached synthetic set: the checkpoint is picked on the selection pages
    (a text of its own plus synthetic pages), never on the reported held-out text."""
    cfg = task(pairs_dir, select_texts=1, synth_dir=tmp_path / "synth", synth_n=2, synth_val_n=1,
               synth_size=64, ink_weight=4.0)
    cfg.val_texts = 1
    result = train(cfg, FitConfig(out_dir=tmp_path / "run", epochs=1, lr=3e-3),
                   DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1], background=True))
    metrics = result.history[-1]
    assert {"val_rmse", "sel_rmse", "syn_rmse", "syn_ink_kept", "syn_strokes_lost", "syn_bin_f", "syn_bin_lost",
            "select"} <= set(metrics)
    assert 0.0 <= metrics["syn_strokes_lost"] <= 1.0
    meta = Denoiser.load(result.best_path, precision="fp32").metadata
    assert meta["selection"] == "select" and meta["config"]["background"] is True
    assert not set(meta["select_pages"]) & set(meta["val_pages"])
    assert not set(meta["train_pages"]) & (set(meta["select_pages"]) | set(meta["val_pages"]))
    assert len(list((tmp_path / "synth" / "train" / "noisy").iterdir())) == 2


def test_ink_weighted_loss_punishes_erased_ink_more():
    from training.denoiser import ink_weighted_loss

    clean = torch.ones(1, 1, 16, 16)
    clean[..., 8, :] = 0.0  # one line of ink
    erase = lambda x: torch.ones_like(x)  # noqa: E731  # a "model" that whitens everything
    speck = lambda x: x * 0 + clean - 0.0625 * (clean == 1)  # noqa: E731  # grey paper, ink kept
    plain, weighted = mse_loss, ink_weighted_loss(4.0)
    ratio_plain = float(plain(erase, (clean, clean))[0]) / float(plain(speck, (clean, clean))[0])
    ratio_weighted = float(weighted(erase, (clean, clean))[0]) / float(weighted(speck, (clean, clean))[0])
    assert ratio_weighted > ratio_plain


def test_ink_level_weighs_a_faint_target_stroke_like_ink():
    from training.denoiser import ink_weighted_loss

    clean = torch.ones(1, 1, 16, 16)
    clean[..., 8, :] = 0.7  # a faint stroke, as a distillation target draws it
    erase = lambda x: torch.ones_like(x)  # noqa: E731
    default, faint = ink_weighted_loss(4.0), ink_weighted_loss(4.0, level=0.9)
    # At the default level the faint stroke is paper: erasing it costs what plain MSE says.
    assert float(default(erase, (clean, clean))[0]) < float(faint(erase, (clean, clean))[0]) / 3


def test_ink_halo_removes_the_bias_towards_thick_strokes():
    from training.denoiser import ink_weighted_loss

    clean = torch.ones(1, 1, 16, 16)
    clean[..., 6:9] = 0.0  # a stroke three pixels wide

    def stroke(lo: int, hi: int):
        pred = torch.ones_like(clean)
        pred[..., lo:hi] = 0.0
        return lambda x: pred

    thick, thin = stroke(5, 10), stroke(7, 8)  # one pixel too many / too few on each side
    ink_only, halo = ink_weighted_loss(4.0), ink_weighted_loss(4.0, halo=2)
    # Ink-only weighting makes thickening far cheaper than thinning: the model learns to bolden.
    assert float(ink_only(thin, (clean, clean))[0]) > 3 * float(ink_only(thick, (clean, clean))[0])
    # With the halo both mistakes cost the same.
    assert float(halo(thin, (clean, clean))[0]) == pytest.approx(float(halo(thick, (clean, clean))[0]))


def test_warm_start_copies_matching_tensors(tmp_path):
    from docclean.checkpoint import save_model
    from training.denoiser import warm_start

    old_cfg = DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1])
    old = DocUNet(old_cfg)
    torch.nn.init.normal_(old.head.weight)
    save_model(old, tmp_path / "old.safetensors", "docunet", old_cfg.to_dict(), {})
    new = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 2], background=True))
    fresh = warm_start(new, tmp_path / "old.safetensors")
    assert torch.equal(new.head.weight, old.head.weight)
    assert torch.equal(new.stem[0].weight[:, 4:], old.stem[0].weight)  # onto the normalised channels
    assert not new.stem[0].weight[:, :4].any()
    assert any(name.startswith("enc.1.1") for name in fresh)


def test_background_model_is_identity_on_flat_paper_and_loads_old_configs():
    model = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1], background=True))
    page = torch.full((1, 1, 40, 48), 0.7)
    assert torch.allclose(model(page), torch.ones_like(page), atol=1e-5)  # grey paper divided to white
    assert DocUNetConfig(**{"unshuffle": 2, "widths": [4], "blocks": [1]}).background is False


def test_warm_start_prunes_a_wider_network_into_a_narrower_one(tmp_path):
    from docclean.checkpoint import save_model
    from training.denoiser import warm_start

    wide_cfg = DocUNetConfig(unshuffle=2, widths=[8, 16], blocks=[1, 1])
    wide = DocUNet(wide_cfg)
    save_model(wide, tmp_path / "wide.safetensors", "docunet", wide_cfg.to_dict(), {})
    narrow = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    assert warm_start(narrow, tmp_path / "wide.safetensors") == []
    assert torch.equal(narrow.stem[0].weight, wide.stem[0].weight[:4])
    assert torch.equal(narrow.enc[1][0].conv1.weight, wide.enc[1][0].conv1.weight[:8, :8])


def test_binarized_scores_see_a_faint_stroke_the_model_erased():
    from training.denoiser import binarized_scores

    target = np.ones((64, 64), np.float32)
    target[10:12, 5:60] = 0.0  # a black stroke
    target[40:42, 5:60] = 0.56  # a faint one, as a graded target draws a 10% stroke
    perfect = binarized_scores([(target.copy(), target)])
    assert perfect["syn_bin_f"] == pytest.approx(100.0) and perfect["syn_bin_lost"] == 0.0
    erased = target.copy()
    erased[40:42] = 1.0
    scores = binarized_scores([(erased, target)])
    assert scores["syn_bin_lost"] == pytest.approx(0.5) and scores["syn_bin_f"] == pytest.approx(200 / 3)


def test_a_time_limit_or_a_stop_flag_saves_the_run_part_way_and_the_rerun_finishes_it(pairs_dir, tmp_path):
    out = tmp_path / "run"
    config = DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1])
    answers = iter([False, True])  # asked before the epoch, then after its first batch
    stopped = train(task(pairs_dir), FitConfig(out_dir=out, epochs=3, lr=3e-3), config,
                    should_stop=lambda: next(answers, True))
    assert stopped.stopped and stopped.stopped_at == (0, 1) and (out / "last.safetensors").exists()
    timed = train(task(pairs_dir), FitConfig(out_dir=out, epochs=3, lr=3e-3), config, time_limit=1e-9)
    assert timed.stopped and timed.epochs_run == 0  # the time was up before the resumed epoch went on
    done = train(task(pairs_dir), FitConfig(out_dir=out, epochs=3, lr=3e-3), config)
    assert not done.stopped and done.epochs_run == 3
